"""The cached attribute ruler and lemmatizer annotate exactly as the model's own components."""

from __future__ import annotations

import spacy

from newswire.extract.cached_pipes import use_cached_pipes
from newswire.extract.evaluation import Split, load_corpus
from newswire.extract.settings import ExtractSettings

# Contractions and expletives exercise the ruler's multi-token and predicate patterns.
_HARD_CASES = (
    "There is no way we're gonna let 'em go, y'all. I ain't got nothin' left. "
    "Let's go, c'mon, we gotta win. Are there any?  \n\n It was given to me and you."
)


def _annotations(nlp: spacy.Language, texts: list[str]) -> list[tuple[str, ...]]:
    return [
        (t.text, t.pos_, t.tag_, t.dep_, str(t.morph), t.lemma_)
        for doc in nlp.pipe(texts)
        for t in doc
    ]


def test_cached_components_replace_the_stock_ones_with_the_same_annotations() -> None:
    model = ExtractSettings().model
    stock = spacy.load(model, exclude=["ner"])
    cached = spacy.load(model, exclude=["ner"])
    use_cached_pipes(cached)
    assert "attribute_ruler" not in cached.pipe_names
    assert "lemmatizer" not in cached.pipe_names
    assert {"attribute_ruler_cached", "lemmatizer_cached"} <= set(cached.pipe_names)
    texts = [a.text for a in load_corpus(Split.TUNE)[:12]] + [_HARD_CASES]
    # Twice: the second pass is answered from the caches the first one filled.
    for _ in range(2):
        assert _annotations(cached, texts) == _annotations(stock, texts)
