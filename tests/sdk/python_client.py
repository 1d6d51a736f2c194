"""Drives the Python `dify-client` (0.1.8 or 0.1.10, unmodified) against a running dify-rs.

Every method of the client, as a user of the v0.3 line would call it; exits non-zero naming
the first answer that is not what Dify 0.3.23 gives. Run by the `sdk_clients` test with
PYTHONPATH pointing at one installed version and DIFY_BASE, DIFY_CHAT_KEY, DIFY_WRITER_KEY set.
"""
import inspect
import json
import os
import sys

from dify_client import ChatClient, CompletionClient

BASE = os.environ["DIFY_BASE"] + "/v1"
USER = os.environ.get("DIFY_SDK_USER", "sdk-user")


def client(cls, key):
    c = cls(key)
    c.base_url = BASE
    return c


def check(what, response, status=200):
    if response.status_code != status:
        sys.exit(f"{what}: HTTP {response.status_code} (want {status}): {response.text[:500]}")
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else None


def events(what, response):
    if response.status_code != 200:
        sys.exit(f"{what}: HTTP {response.status_code}: {response.text[:500]}")
    out = []
    for line in response.iter_lines(decode_unicode=True):
        if line and line.startswith("data: "):
            out.append(json.loads(line[len("data: "):]))
    kinds = [e.get("event") for e in out]
    if not kinds or kinds[-1] != "message_end" or "message" not in kinds:
        sys.exit(f"{what}: events {kinds}")
    return out


chat = client(ChatClient, os.environ["DIFY_CHAT_KEY"])
writer = client(CompletionClient, os.environ["DIFY_WRITER_KEY"])

params = check("get_application_parameters", chat.get_application_parameters(USER))
for key in ("opening_statement", "suggested_questions", "user_input_form", "more_like_this"):
    if key not in params:
        sys.exit(f"get_application_parameters: no {key}: {params}")

first = check("create_chat_message (blocking)", chat.create_chat_message({}, "Hello", USER))
conversation, message = first["conversation_id"], first["id"]
if not first["answer"]:
    sys.exit(f"create_chat_message: empty answer: {first}")
streamed = events(
    "create_chat_message (streaming)",
    chat.create_chat_message({}, "And then?", USER, response_mode="streaming", conversation_id=conversation),
)
if any(e.get("conversation_id") != conversation for e in streamed):
    sys.exit(f"create_chat_message (streaming): another conversation: {streamed}")

history = check("get_conversation_messages", chat.get_conversation_messages(USER, conversation_id=conversation, limit=20))
if [m["query"] for m in history["data"]] != ["Hello", "And then?"]:
    sys.exit(f"get_conversation_messages: {history}")
listed = check("get_conversations", chat.get_conversations(USER, limit=20))
if [c["id"] for c in listed["data"]] != [conversation]:
    sys.exit(f"get_conversations: {listed}")
renamed = check("rename_conversation", chat.rename_conversation(conversation, "Renamed by the SDK", USER))
if renamed.get("name") != "Renamed by the SDK":
    sys.exit(f"rename_conversation: {renamed}")
rated = check("message_feedback", chat.message_feedback(message, "like", USER))
if rated != {"result": "success"}:
    sys.exit(f"message_feedback: {rated}")

# 0.1.8 sends `query` to completion apps; 0.1.10 dropped it and added `files`.
takes_query = "query" in inspect.signature(writer.create_completion_message).parameters
def complete(mode):
    if takes_query:
        return writer.create_completion_message({"topic": "tea"}, "", mode, USER)
    return writer.create_completion_message({"topic": "tea"}, mode, USER)

done = check("create_completion_message (blocking)", complete("blocking"))
if not done["answer"] or "conversation_id" in done:
    sys.exit(f"create_completion_message: {done}")
events("create_completion_message (streaming)", complete("streaming"))

if hasattr(chat, "file_upload"):
    # Uploads for vision came after the v0.3 line: Dify 0.3.23 has no such route.
    check("file_upload", chat.file_upload(USER, {"file": ("a.png", b"\x89PNG", "image/png")}), status=404)

print("ok", "dify-client", "0.1.8" if takes_query else "0.1.10")
