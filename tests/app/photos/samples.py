"""Photos made in the tests, with Pillow and pillow-heif only: each carries canaries in every
metadata block its format has, so that a test can tell whether any of them survived."""

import io

import pillow_heif
from PIL import Image, PngImagePlugin

pillow_heif.register_heif_opener()

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
ORIENTATION = 0x0112
MAKER_NOTE = 0x927C
BODY_SERIAL = 0xA431

CANARIES = (
    b"CANARY-DESCRIPTION-7f3a",
    b"CANARY-MAKE-7f3a",
    b"CANARY-MAKERNOTE-7f3a",
    b"CANARY-SERIAL-7f3a",
    b"CANARY-COMMENT-7f3a",
    b"CANARY-XMP-7f3a",
    b"CANARY-PNG-TEXT-7f3a",
    b"CANARY-PNG-ZTXT-7f3a",
    b"CANARY-HEIC-7f3a",
)


def picture(width: int, height: int) -> Image.Image:
    """A picture with detail (a flat one would compress to nothing): gradients and a block
    marking its top-left corner, so that orientation can be checked."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    red = Image.new("RGB", (max(1, width // 4), max(1, height // 4)), (230, 20, 20))
    image.paste(red, (0, 0))
    return image


def exif_with_canaries(*, orientation: int = 1, tag: bytes = b"") -> Image.Exif:
    exif = Image.Exif()
    exif[0x010E] = (b"CANARY-DESCRIPTION-7f3a " + tag).decode()  # ImageDescription
    exif[0x010F] = "CANARY-MAKE-7f3a"  # Make
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (46.0, 38.0, 9.0)  # Kherson
    gps[3] = "E"
    gps[4] = (32.0, 36.0, 52.0)
    details = exif.get_ifd(EXIF_IFD)
    details[MAKER_NOTE] = b"CANARY-MAKERNOTE-7f3a" + bytes(range(32))
    details[BODY_SERIAL] = "CANARY-SERIAL-7f3a"
    return exif


XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="CANARY-XMP-7f3a"/></rdf:RDF>'
    b'</x:xmpmeta><?xpacket end="w"?>'
)


def jpeg_with_gps(width: int = 640, height: int = 480, *, orientation: int = 1) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(
        out,
        format="JPEG",
        quality=90,
        exif=exif_with_canaries(orientation=orientation),
        comment=b"CANARY-COMMENT-7f3a",
        xmp=XMP,
    )
    return out.getvalue()


def png_with_text(width: int = 300, height: int = 200) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "CANARY-PNG-TEXT-7f3a")
    info.add_text("Description", "CANARY-PNG-ZTXT-7f3a", zip=True)
    out = io.BytesIO()
    image = picture(width, height).convert("RGBA")
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def heic(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(
        out,
        format="HEIF",
        quality=80,
        exif=exif_with_canaries(tag=b"CANARY-HEIC-7f3a").tobytes(),
        xmp=XMP,
    )
    return out.getvalue()


def webp(width: int = 200, height: int = 100) -> bytes:
    out = io.BytesIO()
    picture(width, height).save(out, format="WEBP", exif=exif_with_canaries().tobytes())
    return out.getvalue()


def bomb() -> bytes:
    """A small PNG that declares 10,000 × 10,000 pixels (100 MP): its header alone says so."""
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG", optimize=True)
    return out.getvalue()
