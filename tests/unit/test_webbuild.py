"""The web build: the committed files match the sources, and the bundler's narrow rules."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from chinwag.webbuild import BuildError, build, bundle, bundles, split, stale

WEB = Path(__file__).resolve().parents[2] / "src" / "chinwag" / "web"


def test_the_committed_build_matches_the_sources() -> None:
    problems = stale(WEB)
    assert not problems, (
        "the served web files are out of date; run .venv/bin/python scripts/build-web.py: "
        + ", ".join(problems)
    )


def sw_shell(files: dict[str, bytes]) -> list[str]:
    m = re.search(r"const SHELL = (\[.*\]);", files["sw.js"].decode())
    assert m
    shell: list[str] = json.loads(m.group(1))
    return shell


def test_the_app_shell_is_under_60_kib_compressed() -> None:
    files = build(WEB)
    # What the service worker stores: the page, its assets and the parts loaded later,
    # except end-to-end encryption's, loaded only when needed.
    shell = [n.lstrip("/") for n in sw_shell(files) if n.startswith("/assets/")]
    size = sum(len(gzip.compress(files[name], compresslevel=9)) for name in [*shell, "index.html"])
    assert size < 60 * 1024, f"app shell is {size} bytes gzipped"


def test_no_module_is_sent_twice_across_the_script_and_its_parts() -> None:
    files = build(WEB)
    scripts = [n for n in files if n.startswith("assets/") and n.endswith(".js")]
    seen: dict[str, str] = {}
    for name in scripts:
        for module in re.findall(r"^// ---- js/(\S+)$", files[name].decode(), re.M):
            assert module not in seen, f"{module} is in both {seen[module]} and {name}"
            seen[module] = name
    # Every module of the sources is in exactly one of them (the boot script is no module).
    sources = {p.relative_to(WEB / "js").as_posix() for p in (WEB / "js").rglob("*.js")}
    assert set(seen) == sources
    # In particular the modules holding state the app and encryption share.
    for shared in ("api.js", "dom.js", "ui/dialogs.js"):
        assert seen[shared].startswith("assets/app-"), shared


def test_parts_loaded_later_are_built_and_in_the_service_workers_shell() -> None:
    files = build(WEB)
    sw = files["sw.js"].decode()
    m = re.search(r"const SHELL = (\[.*\]);", sw)
    assert m
    shell = json.loads(m.group(1))
    main = next(n for n in files if re.fullmatch(r"assets/app-[0-9a-f]+\.js", n))
    named = re.findall(r'"(/assets/[a-z-]+-[0-9a-f]+\.js)"', files[main].decode())
    assert any(url.startswith("/assets/views-") for url in named), "views come later"
    for url in named:
        assert url.lstrip("/") in files
        assert (url in shell) != url.startswith("/assets/e2ee-")


def test_encryption_is_a_part_of_its_own_outside_the_shell() -> None:
    files = build(WEB)
    [e2ee] = [n for n in files if n.startswith("assets/e2ee-")]
    [app] = [n for n in files if n.startswith("assets/app-") and n.endswith(".js")]
    # The app loads it by its hashed name; the page and the offline shell never list it,
    # nor the vendored WebAssembly library.
    assert f'"e2ee/main.js": ["/{e2ee}"]' in files[app].decode()
    assert "matrix_sdk_crypto" not in files[app].decode()
    assert "// ---- js/e2ee/main.js" in files[e2ee].decode()
    for name in ("index.html", "sw.js"):
        # Paths, not any "e2ee": a build's hexadecimal version may hold those letters.
        text = files[name].decode()
        assert "/e2ee" not in text and "e2ee/" not in text and "vendor/" not in text
    assert "OlmMachine" in files[e2ee].decode()


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_modules_come_in_dependency_order_with_renamed_imports(tmp_path: Path) -> None:
    js = write(
        tmp_path,
        {
            "app.js": "import { greet as hello } from './ui/b.js';\nhello();\n",
            "ui/b.js": "import { NAME } from '../a.js';\nexport function greet() { return NAME; }\n",
            "a.js": "export const NAME = 'x';\n",
        },
    )
    out = bundle(js)
    assert (
        out.index("// ---- js/a.js")
        < out.index("// ---- js/ui/b.js")
        < out.index("// ---- js/app.js")
    )
    assert 'const { greet: hello } = modules["ui/b.js"];' in out
    assert 'const { NAME } = modules["a.js"];' in out
    assert "return { greet };" in out
    assert "export" not in out.replace("exports", "")
    assert "import" not in out


def test_a_module_loaded_with_import_comes_in_a_part_of_its_own(tmp_path: Path) -> None:
    js = write(
        tmp_path,
        {
            "app.js": "import { NAME } from './a.js';\n"
            "export const later = () => import('./ui/later.js');\n"
            "export const vendor = () => import('/vendor/x.mjs');\n",
            "a.js": "export const NAME = 'x';\n",
            "ui/later.js": "import { NAME } from '../a.js';\nimport { B } from './b.js';\n"
            "export function show() { return NAME + B; }\n",
            "ui/b.js": "export const B = 'b';\n",
        },
    )
    main, parts = bundles(js)
    [(path, text)] = parts.items()
    assert re.fullmatch(r"assets/later-[0-9a-f]{10}\.js", path)
    assert f'"ui/later.js": ["/{path}"]' in main
    assert 'loadModule$("ui/later.js")' in main
    assert "import('./ui/later.js')" not in main
    assert "import('/vendor/x.mjs')" in main  # not a module of these sources: left alone
    # The part holds what the entry's script does not: the module and its own imports.
    assert "// ---- js/ui/b.js" in text and "// ---- js/ui/later.js" in text
    assert text.index("// ---- js/ui/b.js") < text.index("// ---- js/ui/later.js")
    assert "// ---- js/a.js" not in text
    assert "// ---- js/ui/b.js" not in main and "// ---- js/a.js" in main
    assert text.startswith("// chinwag") and "export default (loadModule$, modules) =>" in text


def test_a_module_two_parts_need_is_sent_once_in_a_part_they_share(tmp_path: Path) -> None:
    js = write(
        tmp_path,
        {
            "app.js": "export const a = () => import('./a.js');\n"
            "export const b = () => import('./b.js');\n",
            "a.js": "import { S } from './s.js';\nexport const A = S;\n",
            "b.js": "import { S } from './s.js';\nimport { T } from './t.js';\nexport const B = S + T;\n",
            "s.js": "import { T } from './t.js';\nexport let S = T;\n",
            "t.js": "export const T = 't';\n",
        },
    )
    main, parts = split(js)
    by_module = {m: p for p in parts for m in p.modules}
    assert sorted(by_module) == ["a.js", "b.js", "s.js", "t.js"]
    shared = by_module["s.js"]
    assert shared is by_module["t.js"] and shared.serves == {"a.js", "b.js"}
    assert re.fullmatch(r"assets/shared-[0-9a-f]{10}\.js", shared.path)
    assert shared.modules == ["t.js", "s.js"]
    a, b = by_module["a.js"], by_module["b.js"]
    assert re.fullmatch(r"assets/a-[0-9a-f]{10}\.js", a.path) and a.modules == ["a.js"]
    # Each module loaded later fetches the shared part with its own, and runs it first.
    assert f'"a.js": ["/{shared.path}", "/{a.path}"]' in main
    assert f'"b.js": ["/{shared.path}", "/{b.path}"]' in main
    for part in parts:
        assert part.text.count("// ---- js/") == len(part.modules)


def test_without_import_there_is_no_loader(tmp_path: Path) -> None:
    main, parts = bundles(write(tmp_path, {"app.js": "export const A = 1;\n"}))
    assert parts == {}
    assert "loadModule$" not in main


def test_comments_blank_lines_and_indentation_are_dropped(tmp_path: Path) -> None:
    js = write(
        tmp_path,
        {
            "app.js": "// about\n/**\n * doc\n */\nfunction f() {\n    return 1 // why\n      * 2;\n}\n\nf();\n"
        },
    )
    out = bundle(js)
    assert "function f() {\nreturn 1 // why\n* 2;\n}\nf();" in out
    assert "about" not in out and "doc" not in out


@pytest.mark.parametrize(
    ("files", "error"),
    [
        (
            {
                "app.js": "import { a } from './b.js';\n",
                "b.js": "import { c } from './app.js';\nexport const a = 1;\n",
            },
            "cycle",
        ),
        (
            {"app.js": "import { nope } from './b.js';\n", "b.js": "export const a = 1;\n"},
            "does not export",
        ),
        ({"app.js": "import { a } from './missing.js';\n"}, "missing"),
        ({"app.js": "export default 1;\n"}, "export"),
        ({"app.js": "import x from './b.js';\n", "b.js": ""}, "import"),
        ({"app.js": "import { a } from 'pkg';\n"}, "relative"),
        ({"app.js": "const a = `one\ntwo`;\n"}, "template literal"),
    ],
)
def test_what_the_bundler_refuses(tmp_path: Path, files: dict[str, str], error: str) -> None:
    with pytest.raises(BuildError, match=error):
        bundle(write(tmp_path, files))
