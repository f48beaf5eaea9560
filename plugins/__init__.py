"""First-party plugins. Each is shaped exactly like a third-party plugin
package: declared in setup.cfg's ``helpline.plugins`` entry-point group,
its hook implementations in ``__init__.py``."""
