/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, for Wine 8 (Debian 12),
 * which lacks it. Go's runtime (1.22 and later) loads ProcessPrng from it at
 * start and stops with "bcryptprimitives.dll not found" otherwise. Windows 10
 * and 11 have the real DLL, and Wine has it from 9.0; this file is never
 * shipped, scripts/test-packages.sh puts it in the Wine prefix's system32.
 * It fills the buffer from RtlGenRandom (advapi32's SystemFunction036), the
 * CSPRNG Wine itself implements.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
