// Drives the Node `dify-client` 2.0.0 (unmodified) against a running dify-rs: every method, as a
// user of the v0.3 line would call it. Exits non-zero naming the first answer that is not what
// Dify 0.3.23 gives. Run by the `sdk_clients` test beside the installed package.
import { ChatClient, CompletionClient } from "dify-client";

const BASE = `${process.env.DIFY_BASE}/v1`;
const USER = "sdk-node-user";
const fail = (what, detail) => {
  console.error(`${what}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
  process.exit(1);
};
const call = async (what, promise, status = 200) => {
  try {
    const r = await promise;
    if (r.status !== status) fail(what, `HTTP ${r.status} (want ${status})`);
    return r.data;
  } catch (e) {
    if (e.response && e.response.status === status) return e.response.data;
    fail(what, e.response ? `HTTP ${e.response.status}: ${JSON.stringify(e.response.data)}` : String(e));
  }
};
const events = async (what, promise) => {
  const r = await promise;
  let text = "";
  for await (const chunk of r.data) text += chunk.toString();
  const evs = text.split("\n").filter((l) => l.startsWith("data: ")).map((l) => JSON.parse(l.slice(6)));
  const kinds = evs.map((e) => e.event);
  if (!kinds.includes("message") || kinds[kinds.length - 1] !== "message_end") fail(what, kinds);
  return evs;
};

const chat = new ChatClient(process.env.DIFY_CHAT_KEY, BASE);
const writer = new CompletionClient(process.env.DIFY_WRITER_KEY, BASE);

const params = await call("getApplicationParameters", chat.getApplicationParameters(USER));
for (const key of ["opening_statement", "user_input_form", "suggested_questions"]) {
  if (!(key in params)) fail("getApplicationParameters", params);
}
const first = await call("createChatMessage (blocking)", chat.createChatMessage({}, "Hello", USER));
if (!first.answer || !first.conversation_id) fail("createChatMessage", first);
const streamed = await events(
  "createChatMessage (streaming)",
  chat.createChatMessage({}, "And then?", USER, true, first.conversation_id)
);
if (streamed.some((e) => e.conversation_id !== first.conversation_id)) fail("createChatMessage (streaming)", streamed);
const history = await call("getConversationMessages", chat.getConversationMessages(USER, first.conversation_id));
if (history.data.map((m) => m.query).join("|") !== "Hello|And then?") fail("getConversationMessages", history);
const listed = await call("getConversations", chat.getConversations(USER));
if (listed.data.length !== 1 || listed.data[0].id !== first.conversation_id) fail("getConversations", listed);
// 2.0.0 renames with PATCH /conversations/<id>, a route of later Dify: 0.3.23 refuses it.
await call("renameConversation", chat.renameConversation(first.conversation_id, "x", USER), 405);
const rated = await call("messageFeedback", chat.messageFeedback(first.id, "like", USER));
if (rated.result !== "success") fail("messageFeedback", rated);
const done = await call("createCompletionMessage (blocking)", writer.createCompletionMessage({ topic: "tea" }, "", USER));
if (!done.answer) fail("createCompletionMessage", done);
await events("createCompletionMessage (streaming)", writer.createCompletionMessage({ topic: "tea" }, "", USER, true));
console.log("ok dify-client (node) 2.0.0");
