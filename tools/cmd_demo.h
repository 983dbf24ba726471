/* cmd_demo.h - "lsnn demo": small self-contained demonstrations of the models. */
#ifndef LSNN_CMD_DEMO_H
#define LSNN_CMD_DEMO_H

/* argv[0] is the first word after "demo". Returns the process exit status. */
int lsnn_cmd_demo(int argc, char **argv);

#endif
