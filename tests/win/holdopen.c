/*
** tests/win/holdopen.c: a Windows test helper (built by make windows into
** build/win64/holdopen.exe, not shipped): holds FILE open as another
** program would, prints "held" and waits until its standard input ends,
** then closes it.
**
**   holdopen.exe read FILE     open for reading, sharing reading only (as
**                              an editor or Excel keeps a file it shows)
**   holdopen.exe none FILE     open for reading, sharing nothing
*/
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <windows.h>

int main(void)
{
    int argc;
    wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv || argc != 3) {
        fprintf(stderr, "usage: holdopen.exe read|none FILE\n");
        return 2;
    }
    DWORD share = argv[1][0] == L'r' ? FILE_SHARE_READ : 0;
    HANDLE h = CreateFileW(argv[2], GENERIC_READ, share, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "holdopen: cannot open: error %lu\n", GetLastError());
        return 2;
    }
    _setmode(1, _O_BINARY);
    printf("held\n");
    fflush(stdout);
    char buf[64];
    while (fgets(buf, sizeof buf, stdin))
        ;
    CloseHandle(h);
    return 0;
}
