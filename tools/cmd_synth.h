/* cmd_synth.h - "lsnn data synth-speech": a phone-labelled speech corpus in TIMIT layout,
 * synthesised with festival. */
#ifndef LSNN_CMD_SYNTH_H
#define LSNN_CMD_SYNTH_H

/* argv[0] is the first word after "synth-speech" (argc may be 0). Returns the process exit
 * status: 0 on success, 1 on error (one line "lsnn: <context>: <message>" on stderr). */
int lsnn_cmd_synth_speech(int argc, char **argv);

#endif
