"""Every label of the console, one table per language (the same keys in each: a test checks).

Names and free text from records are never translated: only these labels are.
"""

import re
from collections.abc import Callable
from typing import Final

LANGUAGES: Final = ("uk", "en")

_UK = {
    "html_title": "Рідні — консоль",
    "skip": "Перейти до змісту",
    "nav": "Розділи",
    "nav_queue": "Черга збігів",
    "nav_search": "Пошук",
    "sign_out": "Вийти",
    "signed_in_as": "Ви увійшли як",
    "other_language": "English",
    "other_language_code": "en",
    "keys_button": "Клавіші",
    "keys_title": "Клавіші",
    "keys_close": "Закрити",
    "key_c": "підтвердити збіг",
    "key_r": "відхилити збіг",
    "key_n": "перейти до нотатки",
    "key_j": "наступний збіг у черзі",
    "key_k": "попередній збіг у черзі",
    "key_help": "цей список",
    "key_escape": "вийти з поля",
    # signing in and enrolling
    "sign_in_title": "Вхід до консолі",
    "login": "Логін",
    "password": "Пароль",
    "repeat_password": "Повторіть пароль",
    "one_time_code": "Одноразовий код",
    "sign_in": "Увійти",
    "sign_in_failed": "Не вдалося увійти: логін, пароль або одноразовий код неправильні.",
    "locked": "Забагато невдалих спроб: цей логін заблоковано на 15 хвилин.",
    "signed_out": "Ви вийшли з консолі.",
    "session_ended": "Сеанс завершився. Увійдіть знову.",
    "not_for_role_title": "Консоль не для цієї ролі",
    "not_for_role": "Консоль призначена лише для координаторів і адміністраторів. "
    "Сім'ї та польові контакти користуються застосунком або API.",
    "enrol_title": "Реєстрація в консолі",
    "enrol_intro": "Додайте ключ до застосунку-автентифікатора (скануйте QR-код або введіть "
    "ключ вручну), потім задайте пароль і введіть перший одноразовий код.",
    "secret_key": "Секретний ключ",
    "qr_title": "QR-код для застосунку-автентифікатора",
    "password_hint": "Щонайменше 12 символів.",
    "enrol": "Зареєструватися",
    "enrol_invalid_title": "Запрошення недійсне",
    "enrol_invalid": "Це запрошення вже використане, прострочене або не існує. "
    "Попросіть адміністратора надіслати нове.",
    "passwords_differ": "Паролі не збігаються.",
    "password_length": "Пароль має містити від 12 до 1000 символів.",
    "wrong_code": "Одноразовий код неправильний. Перевірте час на пристрої.",
    "enrolled": "Реєстрацію завершено. Тепер увійдіть.",
    # the queue
    "queue_title": "Черга збігів",
    "filters": "Фільтри",
    "status": "Статус",
    "any": "будь-який",
    "score_min": "Схожість від, %",
    "score_max": "Схожість до, %",
    "source_type": "Тип джерела",
    "apply": "Показати",
    "report": "Заява",
    "sighting": "Свідчення",
    "score": "Схожість",
    "found": "Додано",
    "next_page": "Наступні 50",
    "no_matches": "Збігів із такими умовами немає.",
    "open_match": "Відкрити збіг",
    "born": "нар.",
    "age": "вік",
    "minutes_ago": "{n} хв тому",
    "hours_ago": "{n} год тому",
    "days_ago": "{n} дн. тому",
    "status_proposed": "запропоновано",
    "status_confirmed": "підтверджено",
    "status_rejected": "відхилено",
    "status_withdrawn": "знято",
    "source_document": "документ",
    "source_witness": "свідок",
    "source_list": "список",
    "source_media": "медіа",
    "source_other": "інше",
    "report_open": "відкрита",
    "report_located": "дитину знайдено",
    "report_closed": "закрита",
    # a match
    "match_title": "Збіг",
    "field": "Поле",
    "verdict": "Висновок системи",
    "explanation": "Чому система так вирішила",
    "weight": "Наскільки важить",
    "given_name": "Ім'я",
    "family_name": "Прізвище",
    "patronymic": "По батькові",
    "full_name": "Повне ім'я",
    "other_names": "Інші імена",
    "sex": "Стать",
    "date_of_birth": "Дата народження",
    "age_estimate": "Вік (оцінка)",
    "distinguishing_marks": "Особливі прикмети",
    "settlement": "Населений пункт",
    "home_settlement": "Населений пункт (дім)",
    "origin_settlement": "Звідки дитина",
    "last_seen_date": "Востаннє бачили (дата)",
    "last_seen_place": "Востаннє бачили (місце)",
    "circumstances": "Обставини",
    "observed_on": "Дата спостереження",
    "location": "Місце",
    "notes": "Нотатки",
    "report_status": "Стан заяви",
    "sex_male": "чоловіча",
    "sex_female": "жіноча",
    "sex_unknown": "невідомо",
    "show_source": "Показати джерело",
    "source_contact": "Контакт джерела",
    "source_details": "Про джерело",
    "source_hidden": "Джерело показується лише на вимогу, і це записується в журнал.",
    "decision": "Рішення",
    "note": "Нотатка",
    "confirm": "Підтвердити",
    "reject": "Відхилити",
    "reopen": "Повернути на розгляд",
    "decided_by": "Рішення ухвалив(ла)",
    "decided_at": "Коли",
    "stale": "Хтось ухвалив рішення раніше: {who} — «{what}». Нижче новий стан; ваше рішення "
    "не збережено.",
    "refused_confirmed_elsewhere": "Рішення не збережено: це свідчення вже підтверджено для "
    "іншої заяви. Щоб підтвердити цей збіг, спершу поверніть на розгляд той.",
    "refused_status": "Рішення не збережено: збіг зі статусом «{status}» такого рішення не "
    "приймає.",
    "that_match": "Відкрити той збіг",
    "previous": "Попередній",
    "next": "Наступний",
    "history": "Історія",
    "by_engine": "система",
    "action_proposed": "запропоновано",
    "action_withdrawn": "знято",
    "action_confirm": "підтверджено",
    "action_reject": "відхилено",
    "action_reopen": "повернуто на розгляд",
    "queue_empty": "Запропонованих збігів більше немає.",
    # search, reports and sightings
    "search_title": "Пошук",
    "query": "Ім'я або ідентифікатор",
    "search": "Шукати",
    "reports": "Заяви",
    "sightings": "Свідчення",
    "nothing_found": "Нічого не знайдено.",
    "report_title": "Заява",
    "sighting_title": "Свідчення",
    "candidates": "Можливі збіги",
    "matches": "Збіги",
    "no_candidates": "Можливих збігів немає.",
    "record_id": "Ідентифікатор",
    # errors
    "not_found_title": "Не знайдено",
    "not_found": "Такого запису немає, або він вам недоступний.",
    "form_expired_title": "Форма застаріла",
    "form_expired": "Форма застаріла. Оновіть сторінку й спробуйте знову.",
    "error_title": "Помилка",
    # photos on the match page
    "photos": "Фотографії",
    "photos_none": "Фотографій немає.",
    "photo_alt_report": "Фото {n} із заяви (відкрити повний розмір)",
    "photo_alt_sighting": "Фото {n} зі свідчення (відкрити повний розмір)",
    "error": (
        "Щось пішло не так з нашого боку. Спробуйте ще раз; якщо не допоможе, "
        "повідомте адміністратора."
    ),
    "invalid_title": "Неправильна адреса або форма",
    "invalid_input": (
        "Адреса чи поля форми містять те, чого консоль не приймає (наприклад, схожість "
        "поза межами 0–100 або невидимий символ). Поверніться назад і спробуйте ще раз."
    ),
    "back_to_queue": "До черги збігів",
    # duplicate reports, cases and groups
    "nav_duplicates": "Дублікати заяв",
    "duplicates_title": "Можливі дублікати заяв",
    "duplicates_intro": "Дві заяви, які, на думку системи, можуть бути про одну дитину (наприклад, "
    "її шукають мати й бабуся). Підтвердження об'єднує їх в одну справу.",
    "duplicate_title": "Можливий дублікат",
    "open_duplicate": "Відкрити пару заяв",
    "no_duplicates": "Пар заяв із такими умовами немає.",
    "duplicates_empty": "Запропонованих дублікатів більше немає.",
    "earlier_report": "Перша заява",
    "later_report": "Пізніша заява",
    "filed_on": "Подано",
    "reporter": "Хто шукає",
    "reporter_relationship": "Ким доводиться дитині",
    "confirm_duplicate_hint": "«Підтвердити»: обидві заяви про одну дитину, вони стануть однією "
    "справою, і свідчення, підтверджене для однієї, знайде дитину для обох. «Відхилити»: це різні "
    "діти, і система більше не запропонує цю пару.",
    "refused_status_duplicate": "Рішення не збережено: пара зі статусом «{status}» такого "
    "рішення не приймає.",
    "key_c_duplicate": "підтвердити: одна дитина",
    "key_r_duplicate": "відхилити: різні діти",
    "key_j_duplicate": "наступна пара в черзі",
    "key_k_duplicate": "попередня пара в черзі",
    "case": "Справа",
    "case_alone": "Окрема заява (не об'єднана з іншими).",
    "case_reports": "Заяви про цю дитину в одній справі",
    "case_joined": "Після підтвердження обидві заяви — одна справа.",
    "duplicates_of_report": "Можливі дублікати цієї заяви",
    "no_duplicates_of_report": "Інших заяв про цю дитину система не знайшла.",
    "no_matches_of_record": "Збігів поки немає.",
    "siblings": "Брати й сестри (заяви)",
    "seen_with": "Кого бачили разом із цією дитиною (свідчення)",
    "none_named": "Нікого не вказано.",
    "group_title": "Група: брати, сестри й діти, яких бачили разом",
    "group_report_side": "Брати й сестри дитини із заяви",
    "group_sighting_side": "Діти, яких бачили разом із дитиною зі свідчення",
    "group_evidence": "Що група додає до схожості",
    "group_no_evidence": "Від групи система доказів не отримала.",
    "not_compared": "окремо не порівнюється",
    "in_full_name": "див. повне ім'я",
    "institution": "Заклад",
    "group": "Група",
}

_EN = {
    "html_title": "Ridni — console",
    "skip": "Skip to content",
    "nav": "Sections",
    "nav_queue": "Match queue",
    "nav_search": "Search",
    "sign_out": "Sign out",
    "signed_in_as": "Signed in as",
    "other_language": "Українська",
    "other_language_code": "uk",
    "keys_button": "Keys",
    "keys_title": "Keyboard keys",
    "keys_close": "Close",
    "key_c": "confirm the match",
    "key_r": "reject the match",
    "key_n": "go to the note",
    "key_j": "next match in the queue",
    "key_k": "previous match in the queue",
    "key_help": "this list",
    "key_escape": "leave a field",
    "sign_in_title": "Sign in to the console",
    "login": "Login",
    "password": "Password",
    "repeat_password": "Repeat password",
    "one_time_code": "One-time code",
    "sign_in": "Sign in",
    "sign_in_failed": "Sign-in failed: the login, password or one-time code is wrong.",
    "locked": "Too many failed attempts: this login is locked for 15 minutes.",
    "signed_out": "You have signed out.",
    "session_ended": "Your session has ended. Sign in again.",
    "not_for_role_title": "The console is not for this role",
    "not_for_role": "The console is for coordinators and admins only. Families and field "
    "contacts use the app or the API.",
    "enrol_title": "Enrol in the console",
    "enrol_intro": "Add the key to your authenticator app (scan the QR code or type the key), "
    "then choose a password and enter a first one-time code.",
    "secret_key": "Secret key",
    "qr_title": "QR code for the authenticator app",
    "password_hint": "At least 12 characters.",
    "enrol": "Enrol",
    "enrol_invalid_title": "The invitation is not valid",
    "enrol_invalid": "This invitation has been used, has expired or does not exist. Ask an "
    "admin for a new one.",
    "passwords_differ": "The passwords differ.",
    "password_length": "The password must have 12 to 1000 characters.",
    "wrong_code": "The one-time code is wrong. Check the time on your device.",
    "enrolled": "You are enrolled. Sign in now.",
    "queue_title": "Match queue",
    "filters": "Filters",
    "status": "Status",
    "any": "any",
    "score_min": "Score from, %",
    "score_max": "Score to, %",
    "source_type": "Source type",
    "apply": "Show",
    "report": "Report",
    "sighting": "Sighting",
    "score": "Score",
    "found": "Found",
    "next_page": "Next 50",
    "no_matches": "No match meets these conditions.",
    "open_match": "Open match",
    "born": "born",
    "age": "age",
    "minutes_ago": "{n} min ago",
    "hours_ago": "{n} h ago",
    "days_ago": "{n} d ago",
    "status_proposed": "proposed",
    "status_confirmed": "confirmed",
    "status_rejected": "rejected",
    "status_withdrawn": "withdrawn",
    "source_document": "document",
    "source_witness": "witness",
    "source_list": "list",
    "source_media": "media",
    "source_other": "other",
    "report_open": "open",
    "report_located": "child located",
    "report_closed": "closed",
    "match_title": "Match",
    "field": "Field",
    "verdict": "Engine's verdict",
    "explanation": "The engine's explanation",
    "weight": "How much it counts",
    "given_name": "Given name",
    "family_name": "Family name",
    "patronymic": "Patronymic",
    "full_name": "Full name",
    "other_names": "Other names",
    "sex": "Sex",
    "date_of_birth": "Date of birth",
    "age_estimate": "Age (estimate)",
    "distinguishing_marks": "Distinguishing marks",
    "settlement": "Settlement",
    "home_settlement": "Home settlement",
    "origin_settlement": "Origin settlement",
    "last_seen_date": "Last seen (date)",
    "last_seen_place": "Last seen (place)",
    "circumstances": "Circumstances",
    "observed_on": "Observed on",
    "location": "Location",
    "notes": "Notes",
    "report_status": "Report status",
    "sex_male": "male",
    "sex_female": "female",
    "sex_unknown": "unknown",
    "show_source": "Show source",
    "source_contact": "Source contact",
    "source_details": "About the source",
    "source_hidden": "The source is shown only on request, and the request is audited.",
    "decision": "Decision",
    "note": "Note",
    "confirm": "Confirm",
    "reject": "Reject",
    "reopen": "Reopen",
    "decided_by": "Decided by",
    "decided_at": "When",
    "stale": "Someone decided first: {who} — “{what}”. The new state is shown below; your "
    "decision was not saved.",
    "refused_confirmed_elsewhere": "Not saved: this sighting is already confirmed for another "
    "report. To confirm this match, reopen that one first.",
    "refused_status": "Not saved: a match that is {status} cannot take this decision.",
    "that_match": "Open that match",
    "previous": "Previous",
    "next": "Next",
    "history": "History",
    "by_engine": "the engine",
    "action_proposed": "proposed",
    "action_withdrawn": "withdrawn",
    "action_confirm": "confirmed",
    "action_reject": "rejected",
    "action_reopen": "reopened",
    "queue_empty": "No proposed match is left.",
    "search_title": "Search",
    "query": "Name or id",
    "search": "Search",
    "reports": "Reports",
    "sightings": "Sightings",
    "nothing_found": "Nothing found.",
    "report_title": "Report",
    "sighting_title": "Sighting",
    "candidates": "Candidates",
    "matches": "Matches",
    "no_candidates": "No candidates.",
    "record_id": "Id",
    "not_found_title": "Not found",
    "not_found": "There is no such record, or it is not one you may see.",
    "form_expired_title": "The form has expired",
    "form_expired": "The form has expired. Reload the page and try again.",
    "error_title": "Error",
    # photos on the match page
    "photos": "Photos",
    "photos_none": "No photos.",
    "photo_alt_report": "Photo {n} of the report (opens the full size)",
    "photo_alt_sighting": "Photo {n} of the sighting (opens the full size)",
    "error": (
        "Something went wrong on our side. Try again; if it happens again, tell the administrator."
    ),
    "invalid_title": "Address or form not valid",
    "invalid_input": (
        "The address or the form holds something the console does not accept (a score "
        "outside 0–100, or an invisible character, for example). Go back and try again."
    ),
    "back_to_queue": "Back to the match queue",
    "nav_duplicates": "Duplicate reports",
    "duplicates_title": "Possible duplicate reports",
    "duplicates_intro": "Two reports the engine thinks may be of one child (a mother and a "
    "grandmother looking for the same boy, say). Confirming joins them into one case.",
    "duplicate_title": "Possible duplicate",
    "open_duplicate": "Open the pair of reports",
    "no_duplicates": "No pair of reports meets these conditions.",
    "duplicates_empty": "No proposed duplicate is left.",
    "earlier_report": "Earlier report",
    "later_report": "Later report",
    "filed_on": "Filed",
    "reporter": "Looking for the child",
    "reporter_relationship": "Relationship to the child",
    "confirm_duplicate_hint": "“Confirm”: both reports are of one child; they become one case, "
    "and a sighting confirmed for one locates the child for both. “Reject”: they are different "
    "children; the engine will not propose this pair again.",
    "refused_status_duplicate": "Not saved: a pair that is {status} cannot take this decision.",
    "key_c_duplicate": "confirm: one child",
    "key_r_duplicate": "reject: different children",
    "key_j_duplicate": "next pair in the queue",
    "key_k_duplicate": "previous pair in the queue",
    "case": "Case",
    "case_alone": "A report on its own (not joined with others).",
    "case_reports": "Reports of this child in one case",
    "case_joined": "Once confirmed, both reports are one case.",
    "duplicates_of_report": "Possible duplicates of this report",
    "no_duplicates_of_report": "The engine found no other report of this child.",
    "no_matches_of_record": "No matches yet.",
    "siblings": "Siblings (reports)",
    "seen_with": "Children seen with this child (sightings)",
    "none_named": "None named.",
    "group_title": "Group: siblings and children seen together",
    "group_report_side": "Siblings of the report's child",
    "group_sighting_side": "Children seen with the sighting's child",
    "group_evidence": "What the group adds to the score",
    "group_no_evidence": "The engine found no evidence from the group.",
    "not_compared": "not compared on its own",
    "in_full_name": "see the full name",
    "institution": "Institution",
    "group": "Group",
}

LABELS: Final = {"uk": _UK, "en": _EN}

# The engine's verdicts (matching/_compare.py) in Ukrainian; in English the engine's own words.
_VERDICTS_UK = {
    "exact": "збігається",
    "equivalent": "рівнозначні",
    "transliteration": "транслітерація",
    "phonetic": "схоже звучить",
    "similar": "подібні",
    "close": "близькі",
    "different": "різні",
    "missing": "немає даних",
    "same": "однакова",
    "same place": "те саме місце",
    "same month": "той самий місяць",
    "same year": "той самий рік",
    "year off by one": "рік відрізняється на один",
    "within the estimate": "у межах оцінки",
    "one year outside the estimate": "на рік поза оцінкою",
    "two years outside the estimate": "на два роки поза оцінкою",
    "outside the estimate": "поза оцінкою",
    "far outside the estimate": "далеко поза оцінкою",
    "same estimate": "та сама оцінка",
    "estimates overlap": "оцінки перетинаються",
    "estimates disagree": "оцінки розходяться",
    "agrees as far as given": "збігається, наскільки вказано",
    "day and month swapped": "день і місяць переставлено",
    "different, one place not in Ukraine's list": "різні; одного місця немає в довіднику України",
    "changed with the family name": "змінене разом із прізвищем",
    "former name": "колишнє прізвище",
    "new identity": "нові документи (усиновлення)",
    "initial agrees": "ініціал збігається",
    "initial differs": "ініціал відрізняється",
    "one digit wrong": "одна цифра відрізняється",
    "possible diminutive": "можливо, зменшувальна форма",
    "respelled": "інше написання",
    "same institution": "той самий заклад",
    "same kind, town not given": "той самий тип закладу, місто не вказано",
    "same town": "те саме місто",
    "same under transliteration": "те саме в транслітерації",
    "year off by one, day differs": "рік відрізняється на один, день інший",
    "year off by one, month differs": "рік відрізняється на один, місяць інший",
    "seen with a sibling": "бачили з братом чи сестрою",
    "companion matches": "збігається дитина, яку бачили разом",
    "companion of another family": "дитина, яку бачили разом, з іншої родини",
    "shared new identity": "спільна нова особа",
}


# How much one verdict counts, in words. The engine's weight is a log2 likelihood ratio:
# +8 says such agreement is about 250 times likelier for one child than for two children,
# +2 four times, -6 that it is 64 times likelier for two children. Strongly from 6, plainly
# from 2, slightly below.
_STRENGTH_FLOORS: Final = (6.0, 2.0)
_FOR: Final = {
    "uk": ("сильно на користь", "на користь", "трохи на користь"),
    "en": ("strongly for", "for", "slightly for"),
}
_AGAINST: Final = {
    "uk": ("сильно проти", "проти", "трохи проти"),
    "en": ("strongly against", "against", "slightly against"),
}
_NEUTRAL: Final = {"uk": "не важить", "en": "does not count"}


def weight_words(weight: float, lang: str) -> str:
    """A verdict's weight as a reviewer reads it: for or against the two being one child,
    and how strongly (`strongly for`, `slightly against`, `does not count`)."""
    lang = lang if lang in _NEUTRAL else "en"
    shown = round(weight, 1)  # as the number beside the words, so that the two agree
    if shown == 0:
        return _NEUTRAL[lang]
    strength = sum(abs(shown) < floor for floor in _STRENGTH_FLOORS)
    return (_FOR if shown > 0 else _AGAINST)[lang][strength]


def verdict_words(verdict: str, lang: str) -> str:
    """The engine's verdict in the page's language (a verdict not yet in the table is shown as
    the engine wrote it)."""
    if lang == "uk":
        return _VERDICTS_UK.get(verdict, verdict)
    return verdict


def _percent(score: str) -> str:
    percent = float(score) * 100
    return f"{round(percent)}%" if percent >= 0.5 else "<1%"  # weak, but not nothing


_KINDS_UK = {
    "uk": "укр.",
    "ru": "рос.",
    "diminutive": "зменшувальна",
    "Western form": "західна форма",
    "misspelt": "з помилкою",
}
# The engine's explanations (the `detail` of each verdict, matching/_fields.py, _compare.py,
# _groups.py) in Ukrainian: the engine's English words are replaced, the names and dates in
# them are kept as written. Tried in order, each at most once; `\1`-style groups keep a value.
_Words = str | Callable[[re.Match[str]], str]
_DETAILS_UK: tuple[tuple[re.Pattern[str], _Words], ...] = tuple(
    (re.compile(pattern), words)
    for pattern, words in (
        (r"^born (\S+) vs (\S+) \(age estimates\)$", r"роки народження за оцінками: \1 і \2"),
        (
            r"^born (\S+): aged (\S+), seen as (\S+)$",
            r"нар. \1: на час спостереження \2 р., на вигляд \3 р.",
        ),
        (r"^born (.+?) vs (.+)$", r"нар. \1 і \2"),
        (r"^born (.+)$", r"нар. \1"),
        (
            r"\((uk|ru|diminutive|Western form|misspelt)\) = (.+?) "
            r"\((uk|ru|diminutive|Western form|misspelt)\), both (.+?)(;|$)",
            lambda m: (
                f"({_KINDS_UK[m[1]]}) = {m[2]} ({_KINDS_UK[m[3]]}): обидва — форми "
                f"імені {m[4]}{m[5]}"
            ),
        ),
        (r" \(initial\)", " (ініціал)"),
        (
            r" \(initial, as a Russian spelling begins it\)",
            " (ініціал, з якого починається російське написання)",
        ),
        (r" \(another family name of the same stem\)", " (інше прізвище того самого кореня)"),
        (r" \((\d+) years apart\)$", r" (різниця \1 р.)"),
        (r"; the family names differ: no twin explains it$", "; прізвища різні: це не близнюк"),
        (
            r": consistent with a changed family name \(new identity\)$",
            ": так буває, коли прізвище змінили (нові документи)",
        ),
        (
            r" \(former name\): consistent with a new identity \(adoption\)$",
            " (колишнє прізвище): так буває, коли дитині дали нові документи (усиновлення)",
        ),
        (r" \(Russian spelling or gender form\)", " (російське написання або форма іншого роду)"),
        (r": father (.+)$", r": ім'я батька — \1"),
        (r" \(father's name\)$", " (ім'я батька)"),
        (r" \(name may have been changed\)", " (прізвище могли змінити)"),
        (r" \(spelling\)", " (написання)"),
        (
            r"; (\d+) other reports? of the same given and family name$",
            r"; ще заяв з тим самим ім'ям і прізвищем: \1",
        ),
        (r" \(typo\)", " (описка)"),
        (r" \(different names\)", " (різні імена)"),
        (
            r"^family name and patronymic differ: consistent with a new identity \(adoption\)$",
            "прізвище й по батькові різні: так буває, коли дитині дали нові документи "
            "(усиновлення)",
        ),
        (
            r"; new identity documents may give a new given name too$",
            "; у нових документах могли змінити й ім'я",
        ),
        (
            r"; new identity documents may give a new birth date too$",
            "; у нових документах могли змінити й дату народження",
        ),
        (
            r"; a listing's rewritten family initial seldom keeps the given name$",
            "; коли в анкеті змінили ініціал прізвища, ім'я рідко лишається те саме",
        ),
        (
            r"^seen with (.+), whose match to a sibling's report scores (\d+(?:\.\d+)?)"
            r"(?: with the new (family name and patronymic|family name) they share)?$",
            lambda m: (
                f"бачили разом із {m[1]}; {m[1]} збігається із заявою про брата чи сестру "
                f"цієї дитини на {_percent(m[2])}"
                + (
                    ""
                    if m[3] is None
                    else ", якщо зважити на спільне нове "
                    + ("прізвище й по батькові" if "patronymic" in m[3] else "прізвище")
                )
            ),
        ),
        (
            r"^the same new (family name and patronymic|family name) as (.+): "
            r"siblings adopted together$",
            lambda m: (
                "те саме нове "
                + ("прізвище й по батькові" if "patronymic" in m[1] else "прізвище")
                + f", що й у {m[2]}: братів і сестер усиновили разом"
            ),
        ),
        (
            r"^seen with (.+), who matches this report at (\d+(?:\.\d+)?): "
            r"children seen together are different children$",
            lambda m: (
                f"бачили разом із {m[1]}, а ця дитина збігається з цією заявою на "
                f"{_percent(m[2])}: діти, яких бачили разом, — різні діти"
            ),
        ),
        (
            r"^seen with (.+), who matches another family's report at (\d+(?:\.\d+)?) "
            r"and none of this report's siblings$",
            lambda m: (
                f"бачили разом із {m[1]}; {m[1]} збігається із заявою іншої родини на "
                f"{_percent(m[2])} і не збігається з жодною заявою про братів чи сестер дитини "
                "з цієї заяви"
            ),
        ),
    )
)
_SEX_UK = {"male": "чоловіча", "female": "жіноча", "unknown": "невідомо"}
_SEX_DETAIL = re.compile(
    r"^(male|female|unknown)(?: vs (male|female|unknown))?( \(inferred from the names\))?$"
)


def detail_words(field: str, detail: str, lang: str) -> str:
    """The engine's explanation of one verdict in the page's language: in Ukrainian its
    English words replaced, the names in it as written; in English as the engine wrote it."""
    if lang != "uk":
        return detail
    if field == "sex" and (sex := _SEX_DETAIL.match(detail)):
        sexes = _SEX_UK[sex[1]] + (f" і {_SEX_UK[sex[2]]}" if sex[2] else "")
        return sexes + (" (визначено за іменами)" if sex[3] else "")
    for pattern, words in _DETAILS_UK:
        found = pattern.search(detail)
        if found:
            shown = found.expand(words) if isinstance(words, str) else words(found)
            detail = detail[: found.start()] + shown + detail[found.end() :]
    return detail
