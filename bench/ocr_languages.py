"""OCR of scanned letters in English and in Spanish: English alone, or with Spanish.

The baseline is Tesseract with English only; in the same run, English then Spanish
("eng+spa") and Spanish then English ("spa+eng": Tesseract leans on the first). Character and
word error rates against the letters' own text, and seconds a page.

    .venv/bin/python bench/ocr_languages.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LETTERS = {
    "English letter": [
        "To the Common Council of the City of Milwaukee:",
        "We, the undersigned residents of Riverwest, oppose the use",
        "of facial recognition technology by the police department.",
        "The technology misidentifies people of color at higher rates,",
        "and the department has not published a data retention policy.",
        "We ask the Council to block its use by a two-thirds vote.",
    ],
    "Spanish letter": [
        "Al Concejo Común de la Ciudad de Milwaukee:",
        "Nosotros, vecinos del barrio sur, nos oponemos al uso",
        "del reconocimiento facial por parte de la policía.",
        "La tecnología identifica erróneamente a las personas de color,",
        "y el departamento no ha publicado una política de retención.",
        "Pedimos al Concejo que bloquee su uso con dos tercios de los votos.",
    ],
    "Short Spanish": [
        "Al Concejo Común:",
        "Nos oponemos al reconocimiento facial",
        "de la policía.",
    ],
    "Short English": ["To the Council:", "We oppose facial recognition", "by the police."],
}
CHOICES = ("eng", "eng+spa", "spa+eng")


def main() -> None:
    import jiwer
    import pytesseract

    from hearings.document_text import ocr_available
    from tests.documents import DEJAVU, page_image

    if not ocr_available():
        raise SystemExit("Tesseract is not installed (Debian: tesseract-ocr tesseract-ocr-spa).")
    if "spa" not in pytesseract.get_languages(config=""):
        raise SystemExit("Tesseract's Spanish data is not installed (tesseract-ocr-spa).")
    if not DEJAVU.is_file():
        raise SystemExit("Needs fonts-dejavu-core: the letters need accented glyphs.")
    print(f"{'':16}{'languages':10}{'CER':>7}{'WER':>7}{'s/page':>8}")
    for name, lines in LETTERS.items():
        image, reference = page_image(lines), " ".join(lines)
        results = {}
        for languages in CHOICES:
            started = time.perf_counter()
            text = " ".join(pytesseract.image_to_string(image, lang=languages).split())
            seconds = time.perf_counter() - started
            results[languages] = (jiwer.cer(reference, text), jiwer.wer(reference, text), seconds)
            cer, wer, _ = results[languages]
            print(f"{name:16}{languages:10}{cer:7.3f}{wer:7.3f}{seconds:8.2f}")
        base = results["eng"]
        for languages in CHOICES[1:]:
            both = results[languages]
            print(
                f"{'':16}{languages} / eng: WER {both[1]:.3f} vs {base[1]:.3f}, "
                f"time x{both[2] / base[2]:.2f}"
            )


if __name__ == "__main__":
    main()
