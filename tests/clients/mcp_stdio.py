"""The official `mcp` client against `emkg mcp` over stdio.

Usage: mcp_stdio.py EMKG_BINARY DATA_DIR QUERY
Prints one JSON line: the tool names, and the search tool's result.
"""
import asyncio
import json
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def main():
    binary, data, query = sys.argv[1], sys.argv[2], sys.argv[3]
    params = StdioServerParameters(
        command=binary,
        args=["mcp", "--data", data, "--embedder", "none", "--generator", "none"],
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            res = await session.call_tool("search", {"query": query, "k": 3})
            bad = await session.call_tool("search", {})
            print(json.dumps({
                "server": init.server_info.name,
                "tools": [t.name for t in tools.tools],
                "is_error": res.is_error,
                "text": res.content[0].text,
                "missing_arg_is_error": bad.is_error,
                "missing_arg_text": bad.content[0].text,
            }, ensure_ascii=False))


asyncio.run(main())
