"""How each package presents its names, as C++ Rogue's extension module does.

C++ Rogue is one extension module: ``import rogue`` (or any ``import
rogue.x.y``) makes every submodule an attribute, and every class reports the
module users import it from (``rim.Hub.__module__ == 'rogue.interfaces.memory'``).
Each package ``__init__`` calls, as its last lines:

* :func:`lazy` for its subpackages (and any attribute living in a module of
  its own, e.g. ``rogue.interfaces.ZmqServer``): imported on first attribute
  access (PEP 562), so ``import rogue`` stays cheap;
* :func:`publish` for its ``__all__``: the classes and functions defined in
  its implementation files take the package as ``__module__``, so ``repr``,
  ``str(cls)``, pickle and error messages show Rogue's path. A name added to
  ``__all__`` later gets the same treatment with no further code.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import FunctionType
from typing import Any, Iterable, Mapping, MutableMapping

__all__ = ["lazy", "publish"]


def _relabel(package: str, obj: Any, skip: Iterable[str] = ()) -> None:
    """Set ``obj.__module__`` to ``package`` when ``obj`` is defined in one of its implementation files.

    Objects from elsewhere (another package, a public subpackage in ``skip``)
    keep theirs: a re-export never renames.
    """
    if not isinstance(obj, (type, FunctionType)):
        return
    mod = getattr(obj, "__module__", None)
    if not isinstance(mod, str) or not mod.startswith(package + "."):
        return
    if mod[len(package) + 1:].split(".", 1)[0] in skip:
        return
    obj.__module__ = package


def publish(package: str, namespace: Mapping[str, Any], subpackages: Iterable[str] = ()) -> None:
    """Give every class and function of ``namespace['__all__']`` the public module path ``package``.

    Names in ``__all__`` that :func:`lazy` resolves later are relabelled then.
    """
    skip = tuple(subpackages)
    for name in namespace.get("__all__", ()):
        if name in namespace:
            _relabel(package, namespace[name], skip)


def lazy(package: str, namespace: MutableMapping[str, Any], subpackages: Iterable[str] = (),
         attributes: Mapping[str, str] | None = None) -> None:
    """Install PEP 562 ``__getattr__`` and ``__dir__`` in a package's ``namespace``.

    ``subpackages``: names imported as ``package.name`` on first access.
    ``attributes``: ``{name: module}``, a name taken from ``package.module`` on
    first access (and published as ``package.name``); while that module does
    not exist the name is an ``AttributeError``, so an entry may be listed
    before its module lands. ``dir()`` lists both (attributes whose module
    exists).
    """
    subs = frozenset(subpackages)
    attrs = dict(attributes or {})

    def __getattr__(name: str) -> Any:
        if name in subs:
            return importlib.import_module(f"{package}.{name}")  # also sets the attribute on the package
        if name in attrs:
            full = f"{package}.{attrs[name]}"
            try:
                mod = importlib.import_module(full)
            except ModuleNotFoundError as exc:
                if exc.name != full:  # the module exists but something it imports does not: say so
                    raise
                raise AttributeError(f"module {package!r} has no attribute {name!r} "
                                     f"({full} is not part of this rogue-bridge)", name=name) from None
            value = getattr(mod, name)
            _relabel(package, value, subs)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}", name=name)

    def __dir__() -> list[str]:
        present = {n for n, m in attrs.items() if n in namespace or _exists(f"{package}.{m}")}
        return sorted(set(namespace) | subs | present)

    namespace["__getattr__"] = __getattr__
    namespace["__dir__"] = __dir__


def _exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False

