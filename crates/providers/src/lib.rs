//! Model providers and credentials, the model runtime (chat, completion, embeddings, moderation, speech-to-text), token counting and quotas.
