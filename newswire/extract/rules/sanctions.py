"""The SANCTIONS_OR_ASSETS rule: sanctions imposed or announced; Russian sovereign assets frozen, seized or used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newswire.extract.cues import load_cues
from newswire.extract.patterns import trigger_rule
from newswire.extract.rules.context import RuleOutcome, TriggerContext, make_outcome
from newswire.extract.rules.syntax import (
    argument_zone,
    asset_object,
    clause_verb,
    has_child,
    subject_actors,
)
from schemas.events import EventType

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_CUES = load_cues().sanctions
_ASSET_NOUNS = _CUES.asset_nouns
_ASSET_VERBS = _CUES.asset_verbs
_IMPOSE_VERBS = _CUES.impose_verbs
_SANCTION_NOUNS = _CUES.sanction_nouns
_SPECIFIC = _CUES.specific


def _beneficiary_tokens(doc: Doc, trigger: Token) -> set[int]:
    """Tokens of "to Ukraine" / "for Kyiv" phrases: who receives the money is not a party."""
    found: set[int] = set()
    for token in doc:
        if token.dep_ == "prep" and token.lower_ in ("to", "for") and token.i != trigger.i:
            found.update(t.i for t in token.subtree)
    return found


@trigger_rule(EventType.SANCTIONS_OR_ASSETS, version=2)
def sanctions_or_assets(ctx: TriggerContext) -> RuleOutcome | None:
    """Sanctions imposed or announced; Russian sovereign assets frozen, seized or used."""
    trigger = ctx.trigger
    lemma = trigger.lemma_.lower()
    specific = False
    if trigger.pos_ in ("VERB", "AUX"):
        if lemma in ("sanction", "blacklist", "embargo"):
            specific = True
        elif lemma in _ASSET_VERBS or lemma in ("ban",):
            if lemma != "ban" and not asset_object(trigger):
                return None
            specific = True
        elif lemma == "frozen":
            return None
        else:
            return None
        verb = trigger
    else:
        verb = clause_verb(trigger)
        path = [trigger]
        for ancestor in trigger.ancestors:
            path.append(ancestor)
            if ancestor.dep_ in ("relcl", "acl", "advcl", "ccomp", "parataxis") or len(path) > 5:
                break
        governing = {t.lemma_.lower() for t in path if t.pos_ in ("VERB", "AUX")}
        governing |= {t.lemma_.lower() for t in path if t.lemma_.lower() in _ASSET_NOUNS}
        if lemma in (
            "asset",
            "reserve",
            "loan",
            "freeze",
            "confiscation",
            "expropriation",
            "seizure",
        ):
            if lemma in ("asset", "reserve") and not (
                governing & (_ASSET_VERBS | _ASSET_NOUNS)
                or has_child(
                    trigger, {"amod"}, {"frozen", "immobilized", "immobilised", "sovereign"}
                )
            ):
                return None
            if lemma == "loan" and not (
                has_child(trigger, {"compound", "amod"}, {"reparation", "reparations"})
            ):
                return None
            specific = bool(governing & (_ASSET_VERBS | _IMPOSE_VERBS))
        elif lemma in _SANCTION_NOUNS or trigger.lower_ in ("sanctions",):
            if lemma in ("package", "cap", "ban") and not any(
                t.lemma_.lower() in ("sanction", "price", "oil", "import", "export", "embargo")
                for t in trigger.children
            ):
                return None
            if (
                not (governing & _IMPOSE_VERBS)
                and not has_child(trigger, {"amod", "nummod"}, set(_SPECIFIC))
                and not any(c.tag_ == "JJ" and c.lower_.endswith("th") for c in trigger.children)
            ) and trigger.dep_ != "nsubjpass":
                return None
            specific = bool(governing & _IMPOSE_VERBS) or has_child(
                trigger, {"amod"}, set(_SPECIFIC)
            )
        else:
            return None
    imposers = subject_actors(ctx, verb)
    if trigger.pos_ not in ("VERB", "AUX"):
        for child in trigger.children:
            if child.dep_ in ("poss", "compound", "amod") or (
                child.dep_ == "prep" and child.lower_ in ("by", "from")
            ):
                imposers.extend(
                    (hit.entry, hit.text) for hit in ctx.actors_in(t.i for t in child.subtree)
                )
    zone = argument_zone(trigger) - _beneficiary_tokens(ctx.doc, trigger)
    targets = [(hit.entry, hit.text) for hit in ctx.actors_in(zone)]
    pairs = [*imposers, *targets]
    if not pairs:
        return None
    if not imposers and not specific:
        return None
    return make_outcome(pairs[:4], 0.8 if imposers else 0.65)
