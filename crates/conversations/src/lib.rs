//! End users, conversations, messages and the generation pipeline: prompts, retrieval, streaming, stop.
