/* cmd_data.h - "lsnn data": fetch and verify the MNIST and Fashion-MNIST data sets. */
#ifndef LSNN_CMD_DATA_H
#define LSNN_CMD_DATA_H

/* argv[0] is the first word after "data" (argc may be 0). Returns the process exit status:
 * 0 on success, 1 on error (one line "lsnn: <context>: <message>" on stderr). */
int lsnn_cmd_data(int argc, char **argv);

#endif
