//! Retrieval-augmented generation: extract, clean, split, embed or keyword-index, store; vector stores and hit testing.
