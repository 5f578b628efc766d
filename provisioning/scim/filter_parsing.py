"""SCIM filters parsed and checked by scim2-models' own rules (RFC 7644 §3.4.2.2), with
two changes:
- a filter is bound to the calling client's agreement as well as to its resource type: an
  attribute outside the agreement does not resolve, as an attribute the schema does not
  declare (agreed_reads), wherever it stands (a comparison, a presence test, inside a
  value selection or a not());
- a compared value is validated through a TypeAdapter built once per type, and the
  translation (provisioning.scim.filters) validates it again from a small cache, where
  scim2-models builds a new adapter for every value."""

from functools import cache, lru_cache
from inspect import isclass
from typing import Any, ClassVar, TypeVar

from pydantic import TypeAdapter, ValidationError
from scim2_models import BaseModel, EnterpriseUser, ScimFilter, User
from scim2_models import Group as GroupResource
from scim2_models.exceptions import InvalidFilterException
from scim2_models.path import (
    STRING_OPERATORS,
    AttributeBinding,
    AttrPath,
    CompareOperator,
    Comparison,
    ValuePath,
    coerce_value,
)
from scim2_models.path.filter import _Validator as _LibraryValidator
from scim2_models.path.resolution import _validate_operator, _validate_value_selection

from compliance.scim_agreements import Agreement
from provisioning.scim.agreed_reads import agreed

Op = CompareOperator


class _Validator(_LibraryValidator):
    """scim2-models' check of a bound filter, with values validated by coerce (one
    TypeAdapter per type) instead of coerce_value (a new TypeAdapter per value, and for an
    e-mail a read of the installed packages' metadata): about a millisecond per
    `emails[type eq "work"].value eq` lookup. The checks are the library's own; an attribute
    outside `agreement` resolves as an unknown one."""

    def __init__(
        self, *models: type[BaseModel], strict: bool, agreement: Agreement, urn_prefix: str = ""
    ) -> None:
        super().__init__(*models, strict=strict, urn_prefix=urn_prefix)
        self.agreement = agreement

    def _resolve(
        self, attr_path: AttrPath, *, for_comparison: bool = False
    ) -> AttributeBinding | None:
        resolved = super()._resolve(attr_path, for_comparison=for_comparison)
        return agreed(resolved, attr_path, self.agreement, strict=self.strict)

    def visit_comparison(self, node: Comparison) -> None:
        resolved = self._resolve(node.attr_path, for_comparison=True)
        if resolved is not None:
            _validate_operator(resolved, node.op)
            coerce(resolved, node.value, node.op)

    def visit_value_path(self, node: ValuePath) -> None:
        resolved = self._resolve(node.attr_path)
        if resolved is None:
            return
        _validate_value_selection(resolved)
        item = resolved.field_type
        if isclass(item) and issubclass(item, BaseModel):
            _Validator(
                item, strict=self.strict, agreement=self.agreement, urn_prefix=resolved.urn
            ).visit(node.val_filter)


class AgreedFilter(ScimFilter[Any]):
    """A filter bound to a resource type and to the agreement of the client that sent it.
    The agreement is a class attribute because scim2-models checks a filter as it creates
    it: each agreement has its own subclass (agreed_filter)."""

    agreement: ClassVar[Agreement]

    def _validate_semantics(self, *, strict: bool = True) -> None:
        _Validator(*self.__scim_models__, strict=strict, agreement=self.agreement).visit(self.ast)

    def resolve(self, attr_path: AttrPath, *, strict: bool = True) -> AttributeBinding | None:
        binding = super().resolve(attr_path, strict=strict)
        return agreed(binding, attr_path, self.agreement, strict=strict)

    def resolve_comparison(
        self, attr_path: AttrPath, *, strict: bool = True
    ) -> AttributeBinding | None:
        binding = super().resolve_comparison(attr_path, strict=strict)
        return agreed(binding, attr_path, self.agreement, strict=strict)


class UserFilter(AgreedFilter, ScimFilter[User[EnterpriseUser]]):
    """A filter on Users, parsed and checked by scim2-models (InvalidFilterException)."""


class GroupFilter(AgreedFilter, ScimFilter[GroupResource]):
    """A filter on Groups, parsed and checked by scim2-models (InvalidFilterException)."""


F = TypeVar("F", bound=AgreedFilter)


@cache
def agreed_filter(kind: type[F], agreement: Agreement) -> type[F]:
    """`kind` (UserFilter or GroupFilter) for the clients of `agreement`; built once each."""
    return type(f"{kind.__name__}[{agreement.name}]", (kind,), {"agreement": agreement})


def coerce(binding: AttributeBinding, raw: Any, op: Op) -> Any:
    """scim2-models' coerce_value, with one difference: a whole value is validated against
    its attribute's type by a TypeAdapter built once per type. coerce_value builds a new
    one per call, about a millisecond each; an e-mail lookup needs two (type, value)."""
    annotated = binding.sub_field_type if binding.sub_field_name else binding.field_type
    target = binding.target_type
    if (
        annotated is None
        or raw is None
        or op in STRING_OPERATORS
        or not isclass(target)
        or issubclass(target, BaseModel)
        or (isinstance(raw, target) and not issubclass(target, bytes))
    ):
        return coerce_value(binding, raw, op)  # no validation on these paths: cheap
    try:
        return _validated(annotated, raw)
    except TypeError:  # an annotation or a value that cannot be a cache key
        return coerce_value(binding, raw, op)
    except ValidationError as error:
        raise InvalidFilterException(
            detail=f"value {raw!r} is not valid for attribute '{binding.urn}'"
        ) from error


@lru_cache(maxsize=256, typed=True)
def _validated(annotated: Any, raw: Any) -> Any:
    """`raw` validated against a type. Each value of a filter is validated twice, by the
    semantic check (_Validator) and by the translation (filters): the second time is a cache hit
    (an e-mail address costs about 0.1 ms to validate). The values are immutable (text,
    numbers, booleans, dates), so sharing one result is safe; a refused value raises and
    is not cached."""
    return _adapter(annotated).validate_python(raw)


@cache
def _adapter(annotated: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotated)
