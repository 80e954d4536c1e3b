"""Decoding an upload and writing it anew: only the pixels survive.

Pillow opens the file by its content, among the accepted formats only; the size its header
declares is checked before a single pixel is decoded (a small file can declare a huge image),
the image is scaled down while it is decoded where the format allows (JPEG), turned upright by
its EXIF orientation, and its pixels are copied into a fresh image that carries nothing else:
no EXIF (GPS, maker notes, serial numbers), XMP, IPTC, comments, text chunks, ICC profile or
embedded thumbnails. That image is written as a new JPEG, with a thumbnail beside it.
"""

import io
import logging
import math
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.problems import Unprocessable, UnsupportedMediaType

pillow_heif.register_heif_opener()
# Pillow logs every EXIF tag it reads at DEBUG, values included (the GPS position, the camera's
# serial number): never, whatever level the service logs at.
logging.getLogger("PIL").setLevel(logging.INFO)

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
MAX_PIXELS = 40_000_000
LONG_SIDE = 2048
DRAFT_SIDE = 1536  # a 12 MP photo (4000 px) decodes at half size: 2000 px
THUMBNAIL_SIDE = 320
_QUALITY = 85
_THUMBNAIL_QUALITY = 80

# The limit is checked here, exactly, on the declared size and before decoding (below); Pillow's
# own check (a warning from 89 MP, an error from 178 MP) would only come second.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True)
class Rendition:
    jpeg: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Cleaned:
    image: Rendition
    thumbnail: Rendition


def clean(data: bytes) -> Cleaned:
    """The photo as a fresh JPEG (at most LONG_SIDE px) and its thumbnail (THUMBNAIL_SIDE px).
    Not an accepted format: 415; too many pixels, damaged or truncated: 422."""
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise Unprocessable(
                    f"The image is {opened.width} × {opened.height} pixels: at most "
                    f"{MAX_PIXELS // 1_000_000} megapixels are accepted."
                )
            _decode_smaller(opened)
            opened.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
            opened.load()
            pixels = _plain_rgb(ImageOps.exif_transpose(opened))
    except UnidentifiedImageError:
        raise UnsupportedMediaType(
            "The file is not a JPEG, PNG, WebP or HEIC/HEIF image (judged by its content)."
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise Unprocessable("The image is damaged or truncated and cannot be decoded.") from None
    image = _jpeg(pixels, _QUALITY)
    pixels.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return Cleaned(image, _jpeg(pixels, _THUMBNAIL_QUALITY))


def _decode_smaller(image: Image.Image) -> None:
    """Let a large JPEG decode at 1/2, 1/4 or 1/8 of its size (its DCT scaling: several times
    quicker, a fraction of the memory) while at least DRAFT_SIDE px remain on the long side."""
    factor = DRAFT_SIDE / max(image.size)
    if image.format == "JPEG" and factor < 0.5:
        image.draft("RGB", (math.ceil(image.width * factor), math.ceil(image.height * factor)))


def _plain_rgb(image: Image.Image) -> Image.Image:
    """The pixels alone, in RGB, in a new image whose `info` is empty: transparency is laid on
    white, and no metadata block of the source can reach the encoder."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        fresh = Image.new("RGB", image.size, "white")
        fresh.paste(rgba, mask=rgba.getchannel("A"))
        return fresh
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    fresh = Image.new("RGB", image.size)
    fresh.paste(rgb)
    return fresh


def _jpeg(image: Image.Image, quality: int) -> Rendition:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return Rendition(out.getvalue(), image.width, image.height)
