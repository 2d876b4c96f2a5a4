"""The web build: the committed files match the sources, and the bundler's narrow rules."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from chinwag.webbuild import BuildError, build, bundle, bundles, stale

WEB = Path(__file__).resolve().parents[2] / "src" / "chinwag" / "web"


def test_the_committed_build_matches_the_sources() -> None:
    problems = stale(WEB)
    assert not problems, (
        "the served web files are out of date; run .venv/bin/python scripts/build-web.py: "
        + ", ".join(problems)
    )


def test_the_app_shell_is_under_60_kib_compressed() -> None:
    files = build(WEB)
    # The e2ee bundle is loaded only when needed (import()), never as part of the shell.
    shell = [n for n in files if n.startswith("assets/") and not n.startswith("assets/e2ee-")]
    size = sum(len(gzip.compress(files[name], compresslevel=9)) for name in [*shell, "index.html"])
    assert size < 60 * 1024, f"app shell is {size} bytes gzipped"


def test_parts_loaded_later_are_built_and_in_the_service_workers_shell() -> None:
    files = build(WEB)
    sw = files["sw.js"].decode()
    m = re.search(r"const SHELL = (\[.*\]);", sw)
    assert m
    shell = json.loads(m.group(1))
    main = next(n for n in files if re.fullmatch(r"assets/app-[0-9a-f]+\.js", n))
    named = re.findall(r'"(/assets/[a-z-]+-[0-9a-f]+\.js)"', files[main].decode())
    assert named, "the app's script loads its other views later"
    for url in named:
        assert url.lstrip("/") in files
        assert url in shell


def test_encryption_is_a_bundle_of_its_own_outside_the_shell() -> None:
    files = build(WEB)
    [e2ee] = [n for n in files if n.startswith("assets/e2ee-")]
    [app] = [n for n in files if n.startswith("assets/app-") and n.endswith(".js")]
    # The app imports it by its hashed name; the page and the offline shell never list it,
    # nor the vendored WebAssembly library.
    assert f"'/{e2ee}'" in files[app].decode()
    assert "matrix_sdk_crypto" not in files[app].decode()
    for name in ("index.html", "sw.js"):
        assert "e2ee" not in files[name].decode() and "vendor/" not in files[name].decode()
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
    assert f'"ui/later.js": "/{path}"' in main
    assert 'loadModule$("ui/later.js")' in main
    assert "import('./ui/later.js')" not in main
    assert "import('/vendor/x.mjs')" in main  # not a module of these sources: left alone
    # The part holds what the entry's script does not: the module and its own imports.
    assert "// ---- js/ui/b.js" in text and "// ---- js/ui/later.js" in text
    assert text.index("// ---- js/ui/b.js") < text.index("// ---- js/ui/later.js")
    assert "// ---- js/a.js" not in text
    assert "// ---- js/ui/b.js" not in main and "// ---- js/a.js" in main
    assert text.startswith("// chinwag") and "export default (loadModule$, modules) =>" in text


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
