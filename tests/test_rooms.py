"""The six rooms of docs/ARCHITECTURE.md hold: arrows one way, no cycles, transforms pure, areavasta/ only data."""

from __future__ import annotations

import ast

from tests import rooms


def test_imports_follow_the_room_rules():
    assert rooms.violations(rooms.graph()) == []


def test_no_import_cycles_between_modules():
    assert rooms.cycles(rooms.graph()) == []


def test_transforms_do_no_io_and_read_nothing_at_import_time():
    forbidden = {"open", "read_csv", "read_text", "read_excel", "connect", "scan_csv", "read_parquet"}
    found = []
    for name, path in rooms.modules().items():
        if rooms.room(name) != "transforms":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if called in forbidden:
                    found.append(f"{name}: {called}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                if module and module.split(".")[0] in {
                    "duckdb",
                    "dagster",
                    "yaml",
                    "openpyxl",
                    "fastexcel",
                    "pathlib",
                    "os",
                }:
                    found.append(f"{name}: imports {module}")
    assert found == []


def test_areavasta_holds_only_data():
    code = [name for name in rooms.modules() if rooms.room(name) == "areavasta"]
    assert code == ["areavasta"]  # the package that ships the data files, nothing else


def test_the_checker_sees_a_broken_rule(tmp_path):
    """The rules are not vacuous: a transforms module importing sources is caught."""
    for room in rooms.ROOMS + ("areavasta",):
        (tmp_path / room).mkdir()
        (tmp_path / room / "__init__.py").write_text("")
    (tmp_path / "sources" / "kernel.py").write_text("X = 1\n")
    (tmp_path / "transforms" / "bad.py").write_text("def f():\n    from sources.kernel import X\n    return X\n")
    (tmp_path / "sources" / "a.py").write_text("import sources.b\n")
    (tmp_path / "sources" / "b.py").write_text("import sources.a\n")
    edges = rooms.graph(tmp_path)
    assert rooms.violations(edges) == ["transforms.bad -> sources.kernel: transforms may not import sources"]
    assert rooms.cycles(edges) == [["sources.a", "sources.b"]]


def test_nothing_imports_the_command_line(tmp_path):
    """cli/ may import every room; no room may import cli/ (not even pipelines), and only cli/ and pipelines/ use
    pipelines."""
    for room in rooms.ROOMS + ("areavasta",):
        (tmp_path / room).mkdir()
        (tmp_path / room / "__init__.py").write_text("")
    (tmp_path / "cli" / "app.py").write_text("import typer\n")
    (tmp_path / "cli" / "main.py").write_text(
        "import cli.app\nimport pipelines.x\nimport dashboards.d\nimport sources.s\n"
    )
    (tmp_path / "pipelines" / "x.py").write_text("def f():\n    from cli.app import app\n    return app\n")
    (tmp_path / "dashboards" / "d.py").write_text("import cli\n")
    (tmp_path / "sources" / "s.py").write_text("import pipelines.x\n")
    assert rooms.violations(rooms.graph(tmp_path)) == [
        "dashboards.d -> cli: dashboards may not import cli",
        "pipelines.x -> cli.app: pipelines may not import cli",
        "sources.s -> pipelines.x: only entry points use pipelines",
        "sources.s -> pipelines.x: sources may not import pipelines",
    ]


WIRING = ("dagster", "duckdb")  # and any module of the warehouse
NOT_WIRING_BY_DESIGN = {
    "pipelines",  # the package
    "pipelines.declaration",  # what declares a stage of the graph (a data type, like warehouse.stored)
    "pipelines.graph",  # the asset graph as data: each stage's declaration, built into assets by the factory
    "pipelines.reader",  # the warehouse as a stage reads it: a connection limited to its declared tables
    "pipelines.assets",  # the graph built once by the factory (its Dagster objects come from pipelines.factory)
    "pipelines.output_workers",  # the outputs drawn in worker processes: process plumbing, no method
    "pipelines.prewarm",  # what the run launcher's fork server imports (Dagster among them): no method
}


def wiring_less(root=rooms.ROOT) -> list[str]:
    """Modules of pipelines/ that use neither Dagster, DuckDB nor the warehouse: method logic, which belongs in
    transforms/ (pure, catalogues as arguments) with its catalogues loaded by sources/."""
    found = []
    for name, path in rooms.modules(root).items():
        if rooms.room(name) != "pipelines" or name in NOT_WIRING_BY_DESIGN:
            continue
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        if not any(n.split(".")[0] in WIRING or "warehouse" in n.lower() for n in imported):
            found.append(name)
    return sorted(found)


def test_pipelines_holds_wiring_not_method_logic():
    """Every module of pipelines/ uses Dagster or the warehouse (issue 28): plans, texts, the ranking, the scenarios'
    configuration live in transforms/, their catalogues in sources/."""
    assert wiring_less() == []


def test_the_wiring_check_sees_method_logic(tmp_path):
    for room in rooms.ROOMS + ("areavasta",):
        (tmp_path / room).mkdir()
        (tmp_path / room / "__init__.py").write_text("")
    (tmp_path / "pipelines" / "plans.py").write_text("import polars as pl\nfrom sources.catalogues import x\n")
    (tmp_path / "pipelines" / "stage.py").write_text("def f(con):\n    from warehouse import store\n")
    (tmp_path / "pipelines" / "assets.py").write_text("import dagster as dg\n")
    assert wiring_less(tmp_path) == ["pipelines.plans"]
