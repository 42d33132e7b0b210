// Every `tessera` subcommand, one file each. Adding a command is adding a file and a line here.
import type { Command } from 'commander';
import { registerTile } from './tile.js';
import { registerServe } from './serve.js';
import { registerInfo } from './info.js';
import { registerRegion } from './region.js';
import { registerAssociated } from './associated.js';
import { registerProbe } from './probe.js';
import { registerHeatmap } from './heatmap.js';
import { registerModels } from './models.js';
import { registerEmbed } from './embed.js';
import { registerCohort } from './cohort.js';
import { registerSearch } from './search.js';

type Register = (program: Command) => void;

const commands: Register[] = [registerInfo, registerRegion, registerAssociated, registerTile, registerServe, registerProbe, registerHeatmap, registerModels, registerEmbed, registerCohort, registerSearch];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
