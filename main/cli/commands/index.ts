// Every `tessera` subcommand, one file each. Adding a command is adding a file and a line here.
import type { Command } from 'commander';

type Register = (program: Command) => void;

const commands: Register[] = [];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
