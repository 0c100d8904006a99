"""Check that a host's layout (``TICKETS_BASE_TEMPLATE``) has the blocks the module fills."""

import logging

from jinja2 import nodes

log = logging.getLogger(__name__)

#: Blocks a host layout must or may provide, and what the module puts there.
LAYOUT_BLOCKS = {
    "content": "required: the page itself",
    "title": "optional: the page title (e.g. 'My tickets')",
    "head": "optional: inside <head>, for the module's CSS and JS (or call {{ tickets_assets() }} there)",
    "tickets_nav": "optional: the helpdesk's menu (My tickets, New ticket; Queue, Departments for staff)",
}


def _chain(env, name, seen=None):
    """Yield (name, source, parsed template) for ``name`` and every layout it extends."""
    seen = seen or set()
    if name in seen:
        return
    seen.add(name)
    source, _, _ = env.loader.get_source(env, name)
    tree = env.parse(source)
    yield name, source, tree
    for extends in tree.find_all(nodes.Extends):
        if isinstance(extends.template, nodes.Const) and isinstance(extends.template.value, str):
            yield from _chain(env, extends.template.value, seen)


def layout_blocks(env, name):
    """Return the block names ``name`` and the layouts it extends define, and whether they call tickets_assets()."""
    blocks, calls_assets = set(), False
    for _, source, tree in _chain(env, name):
        blocks.update(block.name for block in tree.find_all(nodes.Block))
        calls_assets = calls_assets or "tickets_assets" in source
    return blocks, calls_assets


def check_host_layout(env, name):
    """Raise if the host layout ``name`` cannot show the module's pages; log what is missing but optional."""
    blocks, calls_assets = layout_blocks(env, name)
    if "content" not in blocks:
        raise RuntimeError(
            f"TICKETS_BASE_TEMPLATE {name!r} has no {{% block content %}}: the helpdesk's pages fill that "
            "block, so they would render empty. Add it where the page body goes."
        )
    if "head" not in blocks and not calls_assets:
        log.warning(
            "TICKETS_BASE_TEMPLATE %r has no {%% block head %%} and does not call {{ tickets_assets() }}: "
            "the helpdesk's pages will have no CSS or JS. Add either inside <head>.",
            name,
        )
