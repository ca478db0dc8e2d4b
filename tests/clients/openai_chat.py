"""The official `openai` client against emkg's /v1/chat/completions.

Usage: openai_chat.py BASE_URL TOKEN QUESTION
Prints one JSON line: the streamed text, the number of content chunks,
the non-streamed text and its emkg extra.
"""
import json
import sys

from openai import OpenAI

base, token, question = sys.argv[1], sys.argv[2], sys.argv[3]
client = OpenAI(base_url=base + "/v1", api_key=token, max_retries=0, timeout=600)
models = [m.id for m in client.models.list().data]
stream = client.chat.completions.create(
    model="emkg",
    messages=[{"role": "system", "content": "你是助手"}, {"role": "user", "content": question}],
    stream=True,
)
parts, finish = [], None
for chunk in stream:
    if not chunk.choices:
        continue
    c = chunk.choices[0]
    if c.delta and c.delta.content:
        parts.append(c.delta.content)
    if c.finish_reason:
        finish = c.finish_reason
whole = client.chat.completions.create(
    model="emkg", messages=[{"role": "user", "content": question}]
)
print(json.dumps({
    "models": models,
    "streamed": "".join(parts),
    "chunks": len(parts),
    "finish": finish,
    "text": whole.choices[0].message.content,
    "emkg": (whole.model_extra or {}).get("emkg"),
}, ensure_ascii=False))
