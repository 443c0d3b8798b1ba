"""The emulator's command lists (setMyCommands, getMyCommands, deleteMyCommands), kept per
scope and language as Telegram keeps them, so a test can read what the bot set; and
editMessageCaption, which the credit-note documents need (marked VOID after an undo)."""

from __future__ import annotations

import json
from typing import Any

from bot.emulator.methods import Method, Params, _markup, _own_message
from bot.emulator.objects import bad_request, check_text, plain_text
from bot.emulator.world import World

DEFAULT_SCOPE = {"type": "default"}


def _key(params: Params) -> tuple[str, str]:
    scope = params.json("scope") or DEFAULT_SCOPE
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope")
    return json.dumps(scope, sort_keys=True), params.text("language_code", "") or ""


async def set_my_commands(world: World, params: Params) -> bool:
    commands = params.json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be a list of at most 100 BotCommand")
    for command in commands:
        if not isinstance(command, dict) or not command.get("command"):
            raise bad_request("command must be non-empty")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("command description must be 1-256 characters")
    world.commands[_key(params)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    world.changed()
    return True


async def get_my_commands(world: World, params: Params) -> list[dict[str, Any]]:
    return world.commands.get(_key(params), [])


async def delete_my_commands(world: World, params: Params) -> bool:
    world.commands.pop(_key(params), None)
    world.changed()
    return True


async def edit_message_caption(world: World, params: Params) -> dict[str, Any]:
    message = _own_message(world, params)
    if message.document is None:
        raise bad_request("there is no caption in the message to edit")
    caption = plain_text(params.text("caption", "") or "", params.text("parse_mode"))
    check_text(caption, caption=True)
    markup = _markup(params)
    if (caption or None) == message.caption and markup == message.reply_markup:
        raise bad_request("message is not modified")
    message.caption, message.reply_markup = caption or None, markup
    message.edit_count += 1
    world.changed()
    return world.message_object(message)


COMMAND_METHODS: dict[str, Method] = {
    "editmessagecaption": edit_message_caption,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
}
