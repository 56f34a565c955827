'use strict';
// Preloaded (`node --require`) into a server or a `ledger` command to stand for a release with a
// bug: folding an AttributesUpdated event that sets the custom attribute `poisoned` throws, on the
// command side and in the projections alike. Starting without it is "deploying the fix".
const path = require('node:path');
const state = require(path.join(process.env.LEDGER_DIST, 'domain', 'profile', 'profile.state.js'));

const poisoned = (event) =>
  event.type === 'AttributesUpdated' && event.data && event.data.custom_attributes && Object.hasOwn(event.data.custom_attributes, 'poisoned');

for (const name of ['applyEvent', 'evolve']) {
  const original = state[name];
  state[name] = (s, event) => {
    if (poisoned(event)) throw new Error('cannot apply the custom attribute "poisoned" (a bug)');
    return original(s, event);
  };
}
