// Everything past the chat list: the conversation and its composer, search, friends,
// groups, safety and admin, and their dialogs' markup. app.js loads this once the list is on screen (or at once for a
// link to a conversation), so the first screen downloads and compiles only what it shows.

import { mountAdmin } from './ui/admin.js';
import { mountComposer } from './ui/composer.js';
import { mountConversation } from './ui/conversation.js';
import { mountGroups } from './ui/groups.js';
import { addDialogs } from './ui/later-dialogs.js';
import { mountPeople } from './ui/people.js';
import { mountSafety } from './ui/safety.js';
import { mountSearch } from './ui/search.js';

const nextTask = () => new Promise((resolve) => { setTimeout(resolve, 0); });

/**
 * Mount the views one task each, so that a tap between them is not held up. `routed()`
 * runs once the conversation can be shown; `alive()` false stops (logged out meanwhile).
 */
export async function mountViews(ctx, { alive, routed }) {
  addDialogs();
  mountConversation(ctx);
  mountComposer(ctx);
  routed();
  for (const mount of [mountPeople, mountSafety, mountSearch, mountGroups, mountAdmin]) {
    await nextTask();
    if (!alive()) return;
    mount(ctx);
  }
}
