// The NetloomError a call throws, for tests that check its code, path and message.
import { expect } from "vitest";
import { NetloomError } from "../../src/base/errors.js";

/** Runs fn and returns the NetloomError it throws; fails the test when it throws nothing else. */
export function errorOf(fn: () => unknown): NetloomError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NetloomError);
    return err as NetloomError;
  }
  throw new Error("expected a NetloomError");
}
