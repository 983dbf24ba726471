#include <stdio.h>
int main(void) { puts("lsnn: under construction"); return 1; }
