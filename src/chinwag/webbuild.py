"""Builds the web client's served files from its sources, with Python alone.

The sources are plain ES modules (`web/js/`, entry `app.js`) and `web/app.css`. The
browser gets one script and one stylesheet with a content hash in their names
(`web/assets/app-<hash>.js|css`): one round trip instead of a waterfall of module imports,
and names that can be cached forever. The build also points `index.html` at them and
writes the service worker's shell list and version, so a new build is one new cache.

The built files are committed: running the server needs no build step. The tests check
that they match the sources (`stale()`), so a change to a source without a rebuild fails.

The module format is deliberately narrow, and anything else is refused: named imports
`import { a, b as c } from './x.js';` and `export` in front of a function, class, const
or let declaration. Each module becomes a function returning its exports, called once in
dependency order; imports become destructuring of those objects. Exports are read when
the importing module starts, so an exported `let` must not be reassigned later.

`import('./x.js')` (a relative path in single quotes) loads a module later: x.js and
whatever it needs that the entry's script does not hold go into a script of their own
(`assets/x-<hash>.js`), fetched the first time it is asked for. Less to download and
compile before the first screen; the result is the module's exports, as with import().
What two such modules both need goes into a part they share, so no module is sent or run
twice and module state is one. The service worker's shell holds every part except those
only `OUTSIDE_SHELL` needs (end-to-end encryption).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ENTRY = "app.js"
# Modules loaded with import() whose parts the service worker does not store with the
# shell: end-to-end encryption, fetched only once a conversation or a dialog that shows
# its controls is opened (its WebAssembly library only for an encrypted conversation).
OUTSIDE_SHELL = frozenset({"e2ee/main.js"})
ASSETS = "assets"
# What the service worker stores besides the built assets: the app shell.
SHELL_EXTRA = (
    "manifest.webmanifest",
    "icons/icon.svg",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-512.png",
)

IMPORT_RE = re.compile(r"^import\s*\{([^}]*)\}\s*from\s*'([^']+)';?[ \t]*$", re.M)
ANY_IMPORT_RE = re.compile(r"^import\b", re.M)
EXPORT_RE = re.compile(
    r"^export\s+((?:async\s+)?function\*?|class|const|let)\s+([A-Za-z_$][\w$]*)", re.M
)
ANY_EXPORT_RE = re.compile(r"^export\b", re.M)
SCRIPT_REF_RE = re.compile(r'src="/assets/app-[0-9a-f]+\.js"')
BOOT_REF_RE = re.compile(r'src="/assets/boot-[0-9a-f]+\.js"')
STYLE_REF_RE = re.compile(r'href="/assets/app-[0-9a-f]+\.css"')
SW_BLOCK_RE = re.compile(r"// build:start\n.*?// build:end\n", re.S)
# import() of a module of these sources; anything else (an absolute URL) is left alone.
DYNAMIC_RE = re.compile(r"\bimport\(\s*'(\.\.?/[^']+)'\s*\)")
LOADER = "loadModule$"


class BuildError(Exception):
    pass


@dataclass
class Module:
    name: str  # path under js/, e.g. "ui/shell.js"
    imports: list[tuple[str, list[tuple[str, str]]]]  # (module name, [(exported, local)])
    exports: list[str]
    body: str  # the source without its import statements and export keywords
    later: list[str]  # modules it loads with import()


def _resolve(importer: str, spec: str) -> str:
    if not spec.startswith("./") and not spec.startswith("../"):
        raise BuildError(f"{importer}: only relative imports are bundled ({spec!r})")
    parts: list[str] = list(PurePosixPath(importer).parent.parts)
    for p in PurePosixPath(spec).parts:
        if p == "..":
            if not parts:
                raise BuildError(f"{importer}: {spec!r} leaves js/")
            parts.pop()
        elif p != ".":
            parts.append(p)
    return "/".join(parts)


def parse(name: str, source: str) -> Module:
    imports: list[tuple[str, list[tuple[str, str]]]] = []
    for m in IMPORT_RE.finditer(source):
        names = []
        for item in m.group(1).split(","):
            item = item.strip()
            if not item:
                continue
            exported, _, local = item.partition(" as ")
            names.append((exported.strip(), (local or exported).strip()))
        imports.append((_resolve(name, m.group(2)), names))
    body = IMPORT_RE.sub("", source)
    if ANY_IMPORT_RE.search(body):
        raise BuildError(f"{name}: an import the bundler does not understand")
    if LOADER in body:
        raise BuildError(f"{name}: {LOADER} is the bundle's own name")
    later: list[str] = []

    def load_later(m: re.Match[str]) -> str:
        target = _resolve(name, m.group(1))
        later.append(target)
        return f"{LOADER}({json.dumps(target)})"

    body = DYNAMIC_RE.sub(load_later, body)
    exports = [m.group(2) for m in EXPORT_RE.finditer(body)]
    body = EXPORT_RE.sub(lambda m: f"{m.group(1)} {m.group(2)}", body)
    if ANY_EXPORT_RE.search(body):
        raise BuildError(f"{name}: an export the bundler does not understand")
    return Module(name, imports, exports, body, later)


def _order(modules: dict[str, Module], entry: str) -> list[str]:
    """Dependencies before dependents; an import cycle is an error."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, chain: list[str]) -> None:
        if name in done:
            return
        if name in visiting:
            raise BuildError("import cycle: " + " -> ".join([*chain, name]))
        if name not in modules:
            raise BuildError(f"{chain[-1] if chain else '?'} imports {name}, which is missing")
        visiting.add(name)
        for dep, _ in modules[name].imports:
            visit(dep, [*chain, name])
        visiting.discard(name)
        done.append(name)

    visit(entry, [])
    return done


def compact(source: str) -> str:
    """Drop whole-line comments, blank lines and indentation: less to send and parse.

    Safe for these sources because no string or template spans lines (a test checks), so
    every line break is outside a literal; comments after code on a line are left alone.
    """
    out = []
    in_doc = False
    for line in source.splitlines():
        text = line.strip()
        if in_doc:
            if text.endswith("*/"):
                in_doc = False
            continue
        if text.startswith("/*") and not text.endswith("*/"):
            in_doc = True
            continue
        if not text or text.startswith("//") or (text.startswith("/*") and text.endswith("*/")):
            continue
        out.append(text)
    return "\n".join(out) + "\n"


def spans_lines(source: str) -> bool:
    """Whether any line has an unclosed template literal (the one literal that could)."""
    return any(line.count("`") % 2 for line in source.splitlines())


def _emit(parsed: dict[str, Module], name: str) -> str:
    m = parsed[name]
    for dep, names in m.imports:
        missing = [e for e, _ in names if e not in parsed[dep].exports]
        if missing:
            raise BuildError(f"{name}: {dep} does not export {', '.join(missing)}")
    head = "".join(
        "  const { "
        + ", ".join(e if e == loc else f"{e}: {loc}" for e, loc in names)
        + f" }} = modules[{json.dumps(dep)}];\n"
        for dep, names in m.imports
        if names
    )
    exports = ", ".join(m.exports)
    return (
        f"\n// ---- js/{name}\nmodules[{json.dumps(name)}] = (() => {{\n{head}"
        f"{m.body.rstrip()}\n  return {{ {exports} }};\n}})();\n"
    )


@dataclass
class Part:
    path: str  # under web/, e.g. "assets/views-<hash>.js"
    text: str
    modules: list[str]  # the modules it holds, in the order they run
    serves: frozenset[str]  # the modules loaded with import() that need it


def split(js_dir: Path, entry: str = ENTRY) -> tuple[str, list[Part]]:
    """The entry's script, and the parts loaded later.

    Each module loaded with import() needs what the entry's script lacks of its imports.
    Every module goes in exactly one place: the entry's script, the part of the one module
    loaded later that needs it (named after that module: `assets/<name>-<hash>.js`), or,
    when several such modules need it, a part they share (`assets/shared-<hash>.js`). So a
    module is never sent twice, and its state (a session's token, say) exists once.
    """
    modules = {
        p.relative_to(js_dir).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(js_dir.rglob("*.js"))
    }
    for name, src in modules.items():
        if spans_lines(src):
            raise BuildError(f"{name}: a template literal spans lines, which compact() cannot keep")
    parsed = {name: parse(name, compact(src)) for name, src in modules.items()}
    order = _order(parsed, entry)
    in_entry = set(order)
    # Each module loaded later, with what it needs beyond the entry's script; found
    # breadth first, so a module loaded later that loads another comes before it.
    need: dict[str, list[str]] = {}
    queue = [t for name in order for t in parsed[name].later]
    while queue:
        target = queue.pop(0)
        if target in need or target in in_entry:
            continue
        need[target] = [n for n in _order(parsed, target) if n not in in_entry]
        queue += [t for n in need[target] for t in parsed[n].later]
    # One order for all (dependencies first): the entry's, then each target's in turn.
    rank: dict[str, int] = {}
    for name in [*order, *(n for t in need for n in need[t])]:
        rank.setdefault(name, len(rank))
    serves: dict[str, set[str]] = {}
    for target, names in need.items():
        for n in names:
            serves.setdefault(n, set()).add(target)
    groups: dict[frozenset[str], list[str]] = {}
    for n in sorted(serves, key=rank.__getitem__):
        groups.setdefault(frozenset(serves[n]), []).append(n)
    parts: list[Part] = []
    for users, names in groups.items():
        text = (
            "// chinwag web client: a part loaded when first needed (scripts/build-web.py).\n"
            f"export default ({LOADER}, modules) => {{\n"
            + "".join(f"if (!modules[{json.dumps(n)}]) {{{_emit(parsed, n)}}}\n" for n in names)
            + "};\n"
        )
        stem = _part_name(next(iter(users))) if len(users) == 1 else "shared"
        path = f"{ASSETS}/{stem}-{_digest(text.encode())}.js"
        parts.append(Part(path, text, names, users))
    # What each target fetches, in the order the parts run: a module's imports are needed
    # by every target that needs it, so parts serving more targets hold the dependencies.
    running = sorted(parts, key=lambda p: (-len(p.serves), rank[p.modules[0]]))
    urls = {t: [f"/{p.path}" for p in running if t in p.serves] for t in need}
    main = (
        "// chinwag web client: js/ bundled by scripts/build-web.py. Do not edit; rebuild.\n"
        "const modules = {};\n"
    )
    if any(parsed[n].later for n in order):
        main += _loader(urls)
    main += "".join(_emit(parsed, name) for name in order)
    return main, parts


def _part_name(target: str) -> str:
    """`views.js` -> views; a folder's `main.js` is named after the folder (`e2ee/main.js`
    -> e2ee)."""
    path = PurePosixPath(target)
    return path.parent.name if path.stem == "main" and path.parent.name else path.stem


def bundles(js_dir: Path, entry: str = ENTRY) -> tuple[str, dict[str, str]]:
    """The entry's script, and the parts loaded later: {path under web/: script}."""
    main, parts = split(js_dir, entry)
    return main, {p.path: p.text for p in parts}


def _loader(urls: dict[str, list[str]]) -> str:
    """`loadModule$(name)`: the parts holding module `name` and what it needs, fetched
    together once, run in order; then its exports."""
    return (
        f"const parts$ = {json.dumps(urls)};\n"
        "const loading$ = {};\n"
        f"function {LOADER}(name) {{\n"
        "if (modules[name]) return Promise.resolve(modules[name]);\n"
        "if (!loading$[name]) {\n"
        "loading$[name] = Promise.all(parts$[name].map((url) => import(url))).then((parts) => {\n"
        f"for (const part of parts) part.default({LOADER}, modules);\n"
        "return modules[name];\n"
        "}, (err) => {\n"
        "delete loading$[name];\n"
        "throw err;\n"
        "});\n"
        "}\n"
        "return loading$[name];\n"
        "}\n"
    )


def bundle(js_dir: Path, entry: str = ENTRY) -> str:
    """The entry's script (see `bundles` for the parts loaded later)."""
    return bundles(js_dir, entry)[0]


def _digest(data: bytes, n: int = 10) -> str:
    return hashlib.sha256(data).hexdigest()[:n]


def build(web: Path) -> dict[str, bytes]:
    """Every built file (path under web/ to content): the assets, index.html, sw.js."""
    app, later = split(web / "js")
    parts = {p.path: p.text.encode() for p in later}
    script = app.encode()
    style = (web / "app.css").read_bytes()
    boot_src = (web / "boot.js").read_text(encoding="utf-8")
    if spans_lines(boot_src):
        raise BuildError("boot.js: a template literal spans lines")
    boot = compact(boot_src).encode()
    js_name = f"{ASSETS}/app-{_digest(script)}.js"
    css_name = f"{ASSETS}/app-{_digest(style)}.css"
    boot_name = f"{ASSETS}/boot-{_digest(boot)}.js"
    index = (web / "index.html").read_text(encoding="utf-8")
    for pattern, ref in (
        (SCRIPT_REF_RE, f'src="/{js_name}"'),
        (STYLE_REF_RE, f'href="/{css_name}"'),
        (BOOT_REF_RE, f'src="/{boot_name}"'),
    ):
        index, n = pattern.subn(ref, index)
        if n != 1:
            raise BuildError(f"index.html must refer to exactly one {ref} asset")
    files = {js_name: script, css_name: style, boot_name: boot, "index.html": index.encode()}
    files.update(parts)
    stored = [p.path for p in later if p.serves - OUTSIDE_SHELL]
    shell = ["index.html", css_name, boot_name, js_name, *stored, *SHELL_EXTRA]
    content = b"".join(
        name.encode() + b"\0" + (files[name] if name in files else (web / name).read_bytes())
        for name in shell
    )
    urls = ["/" if n == "index.html" else f"/{n}" for n in shell]
    block = (
        "// build:start\n"
        f"const VERSION = '{_digest(content, 12)}';\n"
        f"const SHELL = {json.dumps(urls)};\n"
        "// build:end\n"
    )
    sw = (web / "sw.js").read_text(encoding="utf-8")
    sw, n = SW_BLOCK_RE.subn(lambda _: block, sw)
    if n != 1:
        raise BuildError("sw.js must have one '// build:start' ... '// build:end' block")
    files["sw.js"] = sw.encode()
    return files


def stale(web: Path) -> list[str]:
    """What differs between the committed build and a build of the sources (empty: none)."""
    want = build(web)
    problems = [
        name
        for name, data in want.items()
        if not (web / name).is_file() or (web / name).read_bytes() != data
    ]
    for p in sorted((web / ASSETS).glob("*")):
        if p.relative_to(web).as_posix() not in want:
            problems.append(f"{p.relative_to(web).as_posix()} (left over)")
    return problems


def write(web: Path) -> list[str]:
    """Build and write; old assets are removed. Returns what changed."""
    changed = stale(web)
    files = build(web)
    (web / ASSETS).mkdir(exist_ok=True)
    for p in (web / ASSETS).glob("*"):
        if p.relative_to(web).as_posix() not in files:
            p.unlink()
    for name, data in files.items():
        path = web / name
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    return changed
