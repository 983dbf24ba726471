/* cmd_speech.h - "lsnn data timit" (the MFCC feature cache of a corpus in TIMIT layout) and
 * "lsnn data mfcc" (the MFCC channels of one audio file). */
#ifndef LSNN_CMD_SPEECH_H
#define LSNN_CMD_SPEECH_H

/* argv[0] is "timit" or "mfcc", the word after "data". Returns the process exit status: 0 on
 * success, 1 on error (one line "lsnn: <context>: <message>" on stderr). */
int lsnn_cmd_speech(int argc, char **argv);

#endif
