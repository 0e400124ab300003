"""Untrusted uploads: briefs built from a form or a YAML file, and rulebook zips unpacked safely."""
from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

import yaml

MAX_BRIEF_BYTES = 1 * 1024 * 1024          # one brief file
MAX_MATERIAL_BYTES = 25 * 1024 * 1024      # one material file
MAX_ZIP_BYTES = 5 * 1024 * 1024            # an uploaded rulebook zip
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024      # everything in it, uncompressed
MAX_ZIP_MEMBERS = 2000


class UploadError(ValueError):
    """A rejected upload; str() is a one-line message for the page or the API."""


# Brief fields (graph.brief) -> the submit form's inputs, so an error can sit next to its input.
FORM_FIELDS = {"brand": "brand", "product.name": "product_name", "product.description": "product_description",
               "product.facts": "facts", "product": "product_name", "audience": "audience", "channel": "channel",
               "goal": "goal", "tone": "tone", "key_message": "key_message", "keywords": "keywords",
               "forbidden_words": "forbidden_words", "variants": "variants", "materials": "materials",
               "assets": "assets"}


class FormError(UploadError):
    """Every problem of a submitted form at once: (form input name or None, message)."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        self.problems = problems
        super().__init__("; ".join(m for _, m in problems))

    @classmethod
    def from_brief(cls, exc, form_mode: bool, path: str, shown: str) -> "FormError":
        """A BriefError's issues; on the form each sits by its input, an uploaded file's name the whole line."""
        problems = []
        for field, problem, fix in exc.issues:
            name = next((v for k, v in FORM_FIELDS.items() if field == k or field.startswith(k + ".")), None)
            if form_mode and name:
                problems.append((name, f"{problem} ({fix})" if fix else problem))
            else:
                fix = f" (fix: {fix})" if fix and "(fix:" not in problem else ""
                problems.append((None, f"{shown}: field '{field}': {problem}{fix}".replace(path, shown)))
        return cls(problems)


def number_setting(value: str, default: float, lo: float, hi: float, label: str, whole: bool = True) -> float:
    """A number from a form input, or a FormError in plain words."""
    text = (value or "").strip()
    try:
        n = float(text) if text else default
    except ValueError:
        n = None
    if n is None or (whole and n != int(n)) or not lo <= n <= hi:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{label} must be {kind} from {lo:g} to {hi:g}")
    return int(n) if whole else n


def safe_name(name: str, default: str = "file") -> str:
    """A plain file name (no folders, no odd characters) for a user-supplied file name."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".")
    return base[:100] or default


def lines(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").splitlines() if x.strip()]


def words(text: str | None) -> list[str]:
    return [x.strip() for x in re.split(r"[,\n]", text or "") if x.strip()]


def brief_from_form(form: dict) -> dict:
    """The brief mapping for the submit form's fields (validated later by graph.brief.load_brief)."""
    brief: dict = {
        "brand": (form.get("brand") or "").strip(),
        "product": {"name": (form.get("product_name") or "").strip(),
                    "description": (form.get("product_description") or "").strip(),
                    "facts": lines(form.get("facts"))},
        "audience": lines(form.get("audience")),
        "channel": (form.get("channel") or "").strip(),
    }
    for key in ("goal", "tone", "key_message"):
        if (form.get(key) or "").strip():
            brief[key] = form[key].strip()
    for key in ("keywords", "forbidden_words"):
        if words(form.get(key)):
            brief[key] = words(form.get(key))
    if (form.get("variants") or "").strip():
        v = form["variants"].strip()
        brief["variants"] = int(v) if v.isdigit() else v
    if words(form.get("assets")):
        brief["assets"] = asset_counts(form["assets"])
    return brief


def asset_counts(text: str) -> dict[str, int]:
    """'headline: 12, description: 3' -> {'headline': 12, 'description': 3}; the brief's check then holds each
    count to the channel's range."""
    pairs = [re.split(r"\s*[:=]\s*", item, maxsplit=1) for item in words(text)]
    bad = next((":".join(p) for p in pairs if len(p) != 2 or not p[0] or not p[1].isdigit()), None)
    if bad is not None:
        raise FormError([("assets", f"'{bad}' is not a field and a whole number; write pairs such as "
                                    f"headline: 12, description: 3")])
    return {name: int(n) for name, n in pairs}


def write_brief_yaml(brief: dict, path: Path) -> Path:
    try:
        text = yaml.safe_dump(brief, sort_keys=False, allow_unicode=True)
    except RecursionError:
        raise UploadError("brief: nested too deeply (fix: flatten the structure)") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check_size(data: bytes, limit: int, what: str) -> None:
    if len(data) > limit:
        raise UploadError(f"{what} is larger than the limit of {limit // (1024 * 1024)} MB")


def _member_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename.replace("\\", "/")
    p = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in p.parts:
        raise UploadError(f"zip entry '{info.filename}' points outside the rulebook folder; rejected")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UploadError(f"zip entry '{info.filename}' is a symbolic link; links are not accepted")
    return p


def extract_zip(data: bytes, dest: Path) -> Path:
    """Unpack a rulebook zip into dest (which must not exist) and return the folder holding rulebook.yaml.

    Rejects: files over MAX_ZIP_BYTES, non-zip data, absolute or '..' paths, links, too many entries,
    and more than MAX_UNZIPPED_BYTES uncompressed (counted while writing, not trusted from the header).
    """
    import io

    check_size(data, MAX_ZIP_BYTES, "the zip file")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise UploadError("the upload is not a valid zip file") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise UploadError(f"the zip has {len(infos)} entries; the limit is {MAX_ZIP_MEMBERS}")
        members = [(_member_path(i), i) for i in infos]  # check every entry before writing anything
        if sum(i.file_size for _, i in members) > MAX_UNZIPPED_BYTES:
            raise UploadError(f"the zip unpacks to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB; rejected")
        dest.mkdir(parents=True)
        root = dest.resolve()
        total = 0
        try:
            for rel, info in members:
                if not rel.parts or rel.parts[0] == "__MACOSX":
                    continue
                target = (dest / Path(*rel.parts)).resolve()
                if root not in target.parents and target != root:
                    raise UploadError(f"zip entry '{info.filename}' points outside the rulebook folder; rejected")
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(64 * 1024):
                        total += len(chunk)
                        if total > MAX_UNZIPPED_BYTES:
                            raise UploadError(f"the zip unpacks to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB;"
                                              " rejected")
                        out.write(chunk)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
            shutil.rmtree(dest, ignore_errors=True)
            raise UploadError(f"the zip could not be read: {exc}") from None
        except UploadError:
            shutil.rmtree(dest, ignore_errors=True)
            raise
    return rulebook_root(dest)


def rulebook_root(folder: Path) -> Path:
    """The folder holding rulebook.yaml: the zip's top level, or its single top-level folder."""
    if (folder / "rulebook.yaml").is_file():
        return folder
    subdirs = [d for d in folder.iterdir() if d.is_dir() and not d.name.startswith((".", "__MACOSX"))]
    found = [d for d in subdirs if (d / "rulebook.yaml").is_file()]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UploadError("the zip holds several rulebooks; upload one rulebook folder per zip")
    raise UploadError("the zip has no rulebook.yaml at its top level or in its single top-level folder")
