import type { Command } from 'commander';
import { createProject } from '../commands/projects.js';
import type { CliContext } from './context.js';

/** `projects create --name <name>`: a new tenant and its first API key, printed once as JSON. */
export function registerProjectsCommands(program: Command, ctx: CliContext): void {
  const projects = program.command('projects').description('manage projects (tenants) and their API keys');
  projects
    .command('create')
    .description('create a project and its first API key; prints {"project_id", "api_key"} as JSON on stdout (the key is shown only here)')
    .requiredOption('--name <name>', 'a name for the project')
    .action(async (options: { name: string }) => {
      const name = options.name.trim();
      if (name.length === 0 || name.length > 200) throw new Error('--name must be 1 to 200 characters');
      const created = await createProject(ctx.store(), { name, now: new Date().toISOString(), actor: `ops:${process.env.USER ?? 'cli'}` });
      process.stdout.write(`${JSON.stringify({ project_id: created.project_id, api_key: created.api_key.key })}\n`);
    });
}
