// A pure streaming pass over 32 MB (out = x - 1.5, 1 thread): plain stores against non-temporal
// stores of 128/256/512 bits, an L1-scratch-then-stream variant (per row of 1000) and memcpy.
//   gcc -O3 -march=x86-64-v4 stream_micro.c -o stream_micro && taskset -c 1 ./stream_micro
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define N (8192*1000)
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static float *x,*o;
__attribute__((noinline)) void plain(){ for(long i=0;i<N;i++) o[i]=x[i]-1.5f; }
__attribute__((noinline)) void nt128(){ __m128 k=_mm_set1_ps(1.5f); for(long i=0;i<N;i+=4) _mm_stream_ps(o+i,_mm_sub_ps(_mm_load_ps(x+i),k)); _mm_sfence();}
__attribute__((noinline)) void nt512(){ __m512 k=_mm512_set1_ps(1.5f); for(long i=0;i<N;i+=16) _mm512_stream_ps(o+i,_mm512_sub_ps(_mm512_load_ps(x+i),k)); _mm_sfence();}
__attribute__((noinline)) void nt256(){ __m256 k=_mm256_set1_ps(1.5f); for(long i=0;i<N;i+=8) _mm256_stream_ps(o+i,_mm256_sub_ps(_mm256_load_ps(x+i),k)); _mm_sfence();}
static float scr[1000] __attribute__((aligned(64)));
__attribute__((noinline)) void scr512(){ for(long r=0;r<8192;r++){ const float*xr=x+r*1000; float*or=o+r*1000; for(int c=0;c<1000;c++) scr[c]=xr[c]-1.5f; long h=((64-((long)or&63))&63)/4; for(int c=0;c<h;c++) or[c]=scr[c]; long c=h; for(;c+16<=1000;c+=16) _mm512_stream_ps(or+c,_mm512_loadu_ps(scr+c)); for(;c<1000;c++) or[c]=scr[c];} _mm_sfence();}
__attribute__((noinline)) void scr128(){ for(long r=0;r<8192;r++){ const float*xr=x+r*1000; float*or=o+r*1000; for(int c=0;c<1000;c++) scr[c]=xr[c]-1.5f; long h=((64-((long)or&63))&63)/4; for(int c=0;c<h;c++) or[c]=scr[c]; long c=h; for(;c+16<=1000;c+=16){ for(int q=0;q<16;q+=4) _mm_stream_ps(or+c+q,_mm_loadu_ps(scr+c+q));} for(;c<1000;c++) or[c]=scr[c];} _mm_sfence();}
__attribute__((noinline)) void cpy(){ memcpy(o,x,N*4);}
int cmp(const void*a,const void*b){double d=*(double*)a-*(double*)b;return d<0?-1:d>0;}
int main(){ x=aligned_alloc(2<<20,N*4); o=aligned_alloc(2<<20,N*4); memset(x,1,N*4); memset(o,0,N*4);
 void (*f[7])()={plain,nt128,nt256,nt512,scr512,scr128,cpy}; const char*nm[7]={"plain","nt128","nt256","nt512","scr512","scr128","memcpy"};
 enum{R=41}; double t[7][R];
 for(int r=0;r<R;r++) for(int k=0;k<7;k++){double a=now(); f[k](); t[k][r]=now()-a;}
 for(int k=0;k<7;k++){qsort(t[k],R,sizeof(double),cmp); printf("%-7s median %.3f ms  min %.3f ms  GB/s(2 arrays) %.1f\n",nm[k],1e3*t[k][R/2],1e3*t[k][0],2*N*4/t[k][R/2]/1e9);}
}
