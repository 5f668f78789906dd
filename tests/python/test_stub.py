"""The type stub quiver.pyi names exactly the module's public API: every class, function and
exception of the module, and every public method and attribute of its classes."""
import ast
import os

from conftest import SOURCE_DIR

STUB = os.path.join(SOURCE_DIR, "python", "quiver.pyi")
STUB_ONLY = {"PathLike"}  # a type alias of the stub


def stub_names():
    tree = ast.parse(open(STUB, encoding="utf-8").read())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            top.add(node.name)
        if isinstance(node, ast.ClassDef):
            names = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    names.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names.add(item.target.id)
            members[node.name] = names
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            top.update(t.id for t in targets if isinstance(t, ast.Name))
    return top - STUB_ONLY, members


def test_stub_names_the_module_api(quiver):
    top, members = stub_names()
    public = {n for n in dir(quiver) if not n.startswith("_")} | {"__version__"}
    assert top == public
    for cls, names in members.items():
        obj = getattr(quiver, cls)
        if issubclass(obj, BaseException):
            continue
        actual = {n for n in vars(obj) if not n.startswith("_")} | \
                 ({"__init__"} if "__init__" in names else set()) | \
                 ({"__call__"} if "__call__" in vars(obj) else set())
        assert names == actual, cls
