"""PTF's ``--platform vethbench`` file: PTF loads ``<platform-dir>/vethbench.py`` under the
module name ``vethbench``, the name of the vethbench package itself. This shim gives the name
back to the package and hands PTF the platform hook (see ``vethbench.ptf_platform``).

PTF's loader (``PathFinder.find_spec(...).loader.load_module()``) returns whatever
``sys.modules["vethbench"]`` holds once this file has run, so:
- loaded fresh, the shim removes itself from ``sys.modules``, imports the real package (which
  then takes the name) and adds ``platform_config_update`` to it;
- when a test module imported the package first, the loader runs this file inside the
  package's namespace: the import below only adds the hook.
"""
import sys as _sys

if "__path__" not in globals():
    del _sys.modules[__name__]
    import vethbench as _package
    from vethbench.ptf_platform import platform_config_update as _hook

    _package.platform_config_update = _hook
else:
    from vethbench.ptf_platform import platform_config_update  # noqa: F401
