"""Duplicate reports: two families' reports of one child, proposed by the engine, decided by
coordinators as matches are; a confirmed pair joins its reports into one case
(`Report.case_id`), and reopening it splits the case again."""
