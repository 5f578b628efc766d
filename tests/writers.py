"""Which modules of the apps write through the ORM, found without asking them.

By reading the source (AST): a call of a write method (.save(), .delete(), .update(),
.create(), bulk_create, bulk_update, get_or_create, update_or_create, save_m2m,
create_user, a related manager's add/remove/set/clear, their async twins) or raw SQL that
changes rows. And at run time, what Django's generic admin writes with no call in our
source: a registered model admin that lets an add or change form, an inline or a delete
reach ModelAdmin's own save_model, save_formset, delete_model or delete_queryset counts as
a write of the module defining it. What neither sees: a write through a callable passed
around (map(Model.save, ...)) or inside a library we call.
"""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib import admin
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "provisioning", "compliance")
# Apps whose models' admins are held to the rule even when a library defines the admin:
# Django's auth holds the staff roles and their permissions, django-otp the staff's second
# factors, axes the sign-in lockouts; each library's own admin writes them with no event.
GUARDED = ("auth", "otp_totp", "otp_static", "axes")

# Called on anything, these are ORM writes: no builtin or cache has them.
ORM_ONLY = frozenset(
    {"bulk_create", "bulk_update", "get_or_create", "update_or_create", "save_m2m"}
    | {"create_user", "create_superuser"}
)
# These are ORM writes on a model, a manager, a QuerySet or a form; _is_write tells them
# from a dict's update, a cache's set or a set's add.
WRITE_METHODS = ORM_ONLY | {"save", "delete", "update", "create", "add", "remove", "set", "clear"}
# A receiver reached through one of these is a manager or a QuerySet.
QUERYSET_STEPS = frozenset(
    {"objects", "filter", "exclude", "all", "select_for_update", "select_related"}
    | {"prefetch_related", "only", "defer", "order_by", "annotate", "alias", "using"}
    | {"distinct", "none", "get_queryset"}
)
WRITE_SQL = re.compile(
    r"\b(insert\s+into|update\s+[\w\".]+\s+set|delete\s+from|truncate|merge\s+into)\b", re.I
)


@dataclass(frozen=True)
class Write:
    line: int
    call: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.call}"


def modules() -> Iterator[tuple[str, Path]]:
    """Every module of the apps, by dotted name; migrations excluded (tests live apart)."""
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def is_service(module: str) -> bool:
    """A `services` module, or one inside a `services` package."""
    return "services" in module.split(".")


def service_modules() -> list[str]:
    return sorted(name for name, _ in modules() if is_service(name))


def _chain(node: ast.expr) -> Iterator[ast.expr]:
    """The receiver and everything it is reached through: a.b(c).d -> a.b(c).d, a.b(c),
    a.b, a."""
    while True:
        yield node
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return


def _through_a_queryset(receiver: ast.expr) -> bool:
    return any(
        isinstance(step, ast.Attribute) and step.attr in QUERYSET_STEPS for step in _chain(receiver)
    )


def _touches_the_orm(tree: ast.Module) -> bool:
    """Whether the module imports django.db, Django's auth or any `models` module: what a
    QuerySet's update() (or typing it) needs."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or "", *(alias.name for alias in node.names)]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if "models" in parts or name.startswith(("django.db", "django.contrib.auth")):
                return True
    return False


def _dicts(tree: ast.Module) -> set[str]:
    """Names bound to dicts (**kwargs, dict displays, dict() calls): their .update() is
    not the ORM's."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.args.kwarg:
            found.add(node.args.kwarg.arg)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Dict | ast.DictComp) or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id == "dict"
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found |= {target.id for target in targets if isinstance(target, ast.Name)}
    return found


def _is_write(call: ast.Call, method: str, orm: bool, dicts: set[str]) -> bool:
    assert isinstance(call.func, ast.Attribute)
    receiver = call.func.value
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if method in ORM_ONLY:
        return True
    if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", None) == "super":
        return False  # a model's own save() or delete() handing over to Django's
    if _through_a_queryset(receiver):
        return True
    if method == "save":
        uncommitted = any(
            k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
            for k in call.keywords
        )
        return not positional and not uncommitted  # a file's or an image's save takes a path
    if method in ("delete", "create"):
        return not positional  # cache.delete(key), a SCIM client's create(resource)
    if method == "update":
        # dict.update(key=value) looks the same: only where the ORM is at hand, and not on
        # a name known to hold a dict.
        return (
            orm
            and not positional
            and bool(call.keywords)
            and not (isinstance(receiver, ast.Name) and receiver.id in dicts)
        )
    # add/remove/set/clear: a related manager is an attribute of a model instance; a set, a
    # cache or an object's private collection is not.
    return (
        isinstance(receiver, ast.Attribute)
        and not receiver.attr.startswith("_")
        and not (isinstance(receiver.value, ast.Name) and receiver.value.id in ("self", "cls"))
    )


def writes_in(source: str) -> list[Write]:
    """The ORM writes in one module's source, in line order."""
    tree = ast.parse(source)
    orm, dicts = _touches_the_orm(tree), _dicts(tree)
    sql_writes = any(
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and WRITE_SQL.search(node.value)
        for node in ast.walk(tree)
    )
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        # The async twins (asave, abulk_create, aadd, ...) write the same way.
        method = name[1:] if name.startswith("a") and name[1:] in WRITE_METHODS else name
        raw_sql = method in ("execute", "executemany") and sql_writes
        if raw_sql or (method in WRITE_METHODS and _is_write(node, method, orm, dicts)):
            found.append(Write(node.lineno, ast.unparse(node)))
    return sorted(found, key=lambda write: write.line)


def writing_modules() -> dict[str, list[Write]]:
    found = {}
    for name, path in modules():
        if writes := writes_in(path.read_text()):
            found[name] = writes
    return found


def _inherited(admin_object: object, method: str, ours: tuple[str, ...]) -> bool:
    """Whether the admin runs `method` as Django (or a library's admin) defines it."""
    return getattr(type(admin_object), method).__module__.split(".")[0] not in ours


def _editable(
    admin_object: ModelAdmin[Any] | InlineModelAdmin[Any, Any], request: HttpRequest
) -> bool:
    fields = set(flatten_fieldsets(admin_object.get_fieldsets(request)))
    return bool(fields - set(admin_object.get_readonly_fields(request)))


def _default_writes(
    model_admin: ModelAdmin[Any], request: HttpRequest, ours: tuple[str, ...]
) -> Iterator[str]:
    name = type(model_admin).__name__

    def inherited(method: str) -> bool:
        return _inherited(model_admin, method, ours)

    if inherited("save_model"):
        if model_admin.has_add_permission(request) and inherited("add_view"):
            yield f"{name}: its add form is saved by ModelAdmin.save_model"
        if model_admin.has_change_permission(request) and _editable(model_admin, request):
            yield f"{name}: its change form is saved by ModelAdmin.save_model"
    if model_admin.has_delete_permission(request) and (
        inherited("delete_model") or inherited("delete_queryset")
    ):
        yield f"{name}: deletes through ModelAdmin.delete_model or delete_queryset"
    if inherited("save_formset"):
        for inline in model_admin.get_inline_instances(request):
            if (
                inline.has_add_permission(request, None)
                or (inline.has_change_permission(request) and _editable(inline, request))
                or (inline.can_delete and inline.has_delete_permission(request))
            ):
                yield f"{name}: {type(inline).__name__} is saved by ModelAdmin.save_formset"


def admin_writes(
    site: AdminSite, ours: tuple[str, ...] = APPS, guarded: tuple[str, ...] = GUARDED
) -> dict[str, list[str]]:
    """Our model admins, and any admin of a guarded app's models wherever it is defined,
    through which Django's generic admin code writes, by the module defining them, as a
    superuser could use them."""
    request = RequestFactory().post("/")
    request.user = get_user_model()(is_superuser=True, is_staff=True, is_active=True)
    found: dict[str, list[str]] = {}
    for model, model_admin in site._registry.items():
        module = type(model_admin).__module__
        if module.split(".")[0] in ours or model._meta.app_label in guarded:
            for write in _default_writes(model_admin, request, ours):
                found.setdefault(module, []).append(write)
    return found


def writers() -> dict[str, list[str]]:
    """Every writing module, with what it writes by: its source, or Django's admin."""
    found = {name: [str(write) for write in writes] for name, writes in writing_modules().items()}
    for name, writes in admin_writes(admin.site).items():
        found.setdefault(name, []).extend(writes)
    return found
