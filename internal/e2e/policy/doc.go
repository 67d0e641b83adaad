// Package policy holds end-to-end tests of the policy components (filter,
// cooldown, snapshots, yank overrides) with a real pip against a Sluice
// server and a fake public upstream. It builds only the server, not the
// command, so that the tests stay fast.
package policy
