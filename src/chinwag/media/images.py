"""Width, height and a thumbnail of an uploaded image, with Pillow (docs/benchmarks.md,
"Thumbnails", has the numbers that chose it over pyvips).

Blocking: callers run `thumbnail` off the event loop. Guarantees:
* Image bombs cost no memory: the pixel count is read from the header alone and an
  image past `max_pixels` is refused before a single pixel is decoded. Within the
  limit, a JPEG is decoded at the smallest scale (1/2 .. 1/8) that still covers the
  thumbnail, so what is decoded is bounded by `max_pixels`, never by the file.
* A file whose bytes are not a whole image of the type sniffed (a PNG header on text, a
  truncated image) is refused: every pixel the thumbnail needs is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from chinwag.errors import invalid
from chinwag.media.models import THUMBNAIL_SIDE

THUMBNAIL_TYPE = "image/webp"
_ORIENTATION = 0x0112
_TURNED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


@dataclass(frozen=True, slots=True)
class Thumbnail:
    width: int
    height: int
    data: bytes  # THUMBNAIL_TYPE


def thumbnail(path: Path, max_pixels: int) -> Thumbnail:
    """The image's size and a thumbnail at most THUMBNAIL_SIDE on its longer side; a
    ChinwagError (invalid_request) for anything that is not a sound image in bounds."""
    with warnings.catch_warnings():
        # Pillow's own bomb warning (past its default limit) becomes our clear error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise invalid(
                        f"image is {width} x {height} pixels, more than {max_pixels} in all"
                    )
                if img.getexif().get(_ORIENTATION) in _TURNED:
                    width, height = height, width  # as shown
                img.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
                img.seek(0)  # an animation's first frame
                small = ImageOps.exif_transpose(img) or img
                small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
                if small.mode not in ("RGB", "RGBA"):
                    small = small.convert("RGBA" if _has_alpha(small) else "RGB")
                out = io.BytesIO()
                small.save(out, "WEBP", quality=80)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise invalid(f"image has more than {max_pixels} pixels") from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise invalid("image is damaged or truncated") from None
    return Thumbnail(width, height, out.getvalue())


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("LA", "PA") or "transparency" in img.info
