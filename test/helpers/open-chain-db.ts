// Opens a ChainDb at argv[2] and prints what happened as one JSON line: run as another user by tests that
// need a data directory this process cannot write (root ignores permission bits).
import { ChainDb } from "../../state/store/chain-db.ts";

try {
  const db = await ChainDb.open(process.argv[2] as string);
  await db.close();
  console.log(JSON.stringify({ opened: true }));
} catch (err) {
  console.log(JSON.stringify({ opened: false, name: (err as Error).name, message: (err as Error).message }));
}
