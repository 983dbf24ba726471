/* cmd_inspect.h - "lsnn inspect": connectivity, parameter counts and weight signs of a model. */
#ifndef LSNN_CMD_INSPECT_H
#define LSNN_CMD_INSPECT_H

/* argv[0] is the first word after "inspect" (argc may be 0). Returns the process exit status:
 * 0 on success, 1 on error (one line "lsnn: <context>: <message>" on stderr). */
int lsnn_cmd_inspect(int argc, char **argv);
/* "lsnn convert OLD NEW": a checkpoint rewritten in the current format. */
int lsnn_cmd_convert(int argc, char **argv);

#endif
