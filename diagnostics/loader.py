"""Load the questionnaire files into Instrument / InstrumentVersion rows.

Called by a data migration and after every `migrate` (with the historical models) and by
`manage.py load_instruments` (with the current ones): a file whose content changed becomes a new version; old versions stay,
so assessments keep the version they were filled with.
"""

from pathlib import Path

from .definition import DefinitionError, content_hash, parse

INSTRUMENTS_DIR = Path(__file__).resolve().parent / "instruments"


def read_all(directory: Path = INSTRUMENTS_DIR) -> list[dict]:
    """Every definition of the folder, checked; DefinitionError names the file at fault."""
    definitions = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            definitions.append(parse(path.read_text(encoding="utf-8")))
        except DefinitionError as error:
            raise DefinitionError([f"{path.name}: {p}" for p in error.problems]) from None
    codes = [d["code"] for d in definitions]
    if len(set(codes)) != len(codes):
        raise DefinitionError(["two files share one instrument code"])
    return definitions


def load(instrument_model, version_model, definitions: list[dict]) -> list[tuple[str, int, bool]]:
    """Store each definition; returns (code, version number, created?) per instrument."""
    loaded = []
    for definition in definitions:
        instrument, _ = instrument_model.objects.get_or_create(code=definition["code"])
        position = int(definition.get("position", 0))
        if instrument.position != position:
            instrument.position = position
            instrument.save(update_fields=["position"])
        digest = content_hash(definition)
        existing = version_model.objects.filter(instrument=instrument, content_hash=digest).first()
        if existing is not None:
            loaded.append((instrument.code, existing.number, False))
            continue
        last = version_model.objects.filter(instrument=instrument).order_by("-number").first()
        number = (last.number if last else 0) + 1
        version_model.objects.create(instrument=instrument, number=number, content_hash=digest, definition=definition)
        loaded.append((instrument.code, number, True))
    return loaded
