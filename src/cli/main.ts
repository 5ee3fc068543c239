import { Command } from 'commander';
import { createCliContext, reportCliError } from './context.js';
import { registerProjectionsCommands } from './projections.js';
import { registerProjectsCommands } from './projects.js';

// The ops CLI: `npm run cli -- <command>` or `ledgerhook <command>`. Each command group
// lives in its own file and registers itself here.
const ctx = createCliContext();
const program = new Command('ledgerhook').description('ledgerhook ops CLI: works on the same DATA_DIR (or EventStoreDB) as the running service');
registerProjectsCommands(program, ctx);
registerProjectionsCommands(program, ctx);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  reportCliError(error);
} finally {
  await ctx.close();
}
