"""Attachment records on every engine: who may read them, links written by the send
transaction, and the sweep of unsent uploads."""

from __future__ import annotations

from chinwag.accounts.models import ProfileChanges
from chinwag.errors import Code
from chinwag.media.models import Attachment
from chinwag.messaging.models import SendRequest, Stored
from chinwag.store.base import Store
from tests.store.test_conformance import fails_with, group, users


def upload(aid: str, owner: str, at: int = 10, width: int | None = None) -> Attachment:
    return Attachment(aid, owner, f"{aid}.png", 100, "image/png", "ab" * 32, width, width, True, at)


async def send_with(store: Store, sender: str, cid: str, cmid: str, ids: tuple[str, ...]) -> Stored:
    result = await store.messages.append(
        SendRequest(sender, f"d_{sender}", cid, cmid, "", 100, attachment_ids=ids)
    )
    assert isinstance(result, Stored), result
    return result


async def test_readers_are_the_uploader_and_members_where_it_was_sent(store: Store) -> None:
    alice, bob, carol = await users(store, "alice", "bob", "carol")
    channel = await group(store, alice, [bob])
    for a in (upload("a1", alice, width=64), upload("a2", alice), upload("a3", alice)):
        await store.attachments.add(a)
    assert (await store.attachments.readable("a1", alice)) == upload("a1", alice, width=64)
    assert await store.attachments.readable("a1", bob) is None
    assert await store.attachments.readable("nothing", alice) is None
    owned = await store.attachments.owned(["a1", "a2", "nope"], alice)
    assert sorted(a.id for a in owned) == ["a1", "a2"]
    assert await store.attachments.owned(["a1"], bob) == []

    sent = await send_with(store, alice, channel.id, "m1", ("a2", "a1"))
    found = await store.attachments.for_messages([(channel.id, sent.message.message_id)])
    assert [a.id for a in found[(channel.id, sent.message.message_id)]] == ["a2", "a1"]
    assert await store.attachments.readable("a1", bob) is not None
    assert await store.attachments.readable("a1", carol) is None
    assert await store.attachments.readable("a3", bob) is None
    # A message without attachments has no entry.
    plain = await send_with(store, bob, channel.id, "m2", ())
    assert await store.attachments.for_messages([(channel.id, plain.message.message_id)]) == {}


async def test_the_sweep_takes_only_old_uploads_no_message_carries(store: Store) -> None:
    [alice] = await users(store, "alice")
    channel = await group(store, alice, [])
    await store.attachments.add(upload("old_sent", alice, at=10))
    await store.attachments.add(upload("old_unsent", alice, at=10))
    await store.attachments.add(upload("new_unsent", alice, at=500))
    await send_with(store, alice, channel.id, "m1", ("old_sent",))
    assert [a.id for a in await store.attachments.unsent(100, 10)] == ["old_unsent"]
    assert await store.attachments.delete_unsent("old_sent") is False
    assert await store.attachments.delete_unsent("old_unsent") is True
    assert await store.attachments.delete_unsent("old_unsent") is False
    assert await store.attachments.readable("old_unsent", alice) is None
    assert await store.attachments.readable("old_sent", alice) is not None


async def test_an_avatar_is_an_own_image_everyone_reads_and_the_sweep_keeps(
    store: Store,
) -> None:
    alice, bob = await users(store, "alice", "bob")
    await store.attachments.add(upload("pic", alice, at=10, width=64))
    await store.attachments.add(upload("bobs", bob, at=10, width=64))
    text = Attachment("txt", alice, "t.txt", 5, "text/plain", "cd" * 32, None, None, False, 10)
    await store.attachments.add(text)
    for refused in ("txt", "bobs", "nothing"):
        with fails_with(Code.INVALID_REQUEST):
            await store.accounts.update_profile(
                alice, ProfileChanges(avatar_id=refused, status_text="no")
            )
    me = await store.accounts.get_user(alice)
    assert me is not None and (me.avatar_id, me.status_text) == (None, "")

    user = await store.accounts.update_profile(alice, ProfileChanges(avatar_id="pic"))
    assert user.avatar_id == "pic"
    assert await store.accounts.get_user(alice) == user
    assert await store.attachments.readable("pic", bob) is not None
    assert await store.attachments.readable("txt", bob) is None
    assert [a.id for a in await store.attachments.unsent(100, 10)] == ["bobs", "txt"]
    assert await store.attachments.delete_unsent("pic") is False

    # Unchanged by other changes; "" removes it, and then it is private and sweepable.
    user = await store.accounts.update_profile(alice, ProfileChanges(status_text="hi"))
    assert user.avatar_id == "pic"
    user = await store.accounts.update_profile(alice, ProfileChanges(avatar_id=""))
    assert user.avatar_id is None
    assert await store.attachments.readable("pic", bob) is None
    assert await store.attachments.delete_unsent("pic") is True
