// Row-kernel model of log_softmax forward (8192 rows of 1000 floats, 1 thread): per row a max
// pass, an exp-like sum pass and the output pass. Output stores: plain; rows computed into an L1
// scratch (2 or 16 rows) then copied out with 512-bit non-temporal stores; non-temporal stores
// straight from the output loop (512-bit, or four 128-bit). Env HP=1: MADV_HUGEPAGE; XOFF=k:
// x starts k floats past a 2 MiB boundary (NumPy's arrays start 16 bytes past a page).
//   gcc -O3 -fopenmp-simd -march=x86-64-v4 rows_micro.c -o rows_micro && HP=1 taskset -c 1 ./rows_micro
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#define R 8192
#define C 1000
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static float *x,*o,*g;
static float so[2*C+64] __attribute__((aligned(64))), sg[2*C+64] __attribute__((aligned(64)));
static inline __attribute__((always_inline)) void row(const float* restrict xr, float* restrict orow, float* restrict grow){
  float m=-1e30f;
#pragma omp simd reduction(max:m)
  for(int c=0;c<C;c++) m = xr[c]>m?xr[c]:m;
  float s=0;
  if (grow) {
#pragma omp simd reduction(+:s)
  for(int c=0;c<C;c++){ float d=xr[c]-m; float e=1+d*(1+d*(0.5f+d*0.1666f)); s+=e; grow[c]=e;}
  } else {
#pragma omp simd reduction(+:s)
  for(int c=0;c<C;c++){ float d=xr[c]-m; float e=1+d*(1+d*(0.5f+d*0.1666f)); s+=e;}
  }
  float ls=s*0.001f;
  if (grow) {
#pragma omp simd
  for(int c=0;c<C;c++){ orow[c]=(xr[c]-m)-ls; grow[c]=1.0f-grow[c]*ls; }
  } else {
#pragma omp simd
  for(int c=0;c<C;c++){ orow[c]=(xr[c]-m)-ls; }
  }
}
static void ntcopy(float* d, const float* s, long n){ for(long i=0;i+16<=n;i+=16) _mm512_stream_ps(d+i,_mm512_loadu_ps(s+i)); }
__attribute__((noinline)) void plain1(){ for(long r=0;r<R;r++) row(x+r*C,o+r*C,0); }
__attribute__((noinline)) void nt1(){ for(long r=0;r<R;r+=2){ row(x+r*C,so,0); row(x+(r+1)*C,so+C,0); ntcopy(o+r*C,so,2*C);} _mm_sfence(); }
static float big[16*C+64] __attribute__((aligned(64)));
__attribute__((noinline)) void nt1big(){ for(long r=0;r<R;r+=16){ for(int q=0;q<16;q++) row(x+(r+q)*C,big+q*C,0); ntcopy(o+r*C,big,16*C);} _mm_sfence(); }
__attribute__((noinline)) void cp1(){ for(long r=0;r<R;r+=2){ row(x+r*C,so,0); row(x+(r+1)*C,so+C,0); for(int q=0;q<2*C;q+=16) _mm512_storeu_ps(o+r*C+q,_mm512_loadu_ps(so+q));} }
static inline void rowdirect(const float* restrict xr, float* restrict orow){
  float m=-1e30f;
#pragma omp simd reduction(max:m)
  for(int c=0;c<C;c++) m = xr[c]>m?xr[c]:m;
  float s=0;
#pragma omp simd reduction(+:s)
  for(int c=0;c<C;c++){ float d=xr[c]-m; float e=1+d*(1+d*(0.5f+d*0.1666f)); s+=e;}
  float ls=s*0.001f; __m512 mv=_mm512_set1_ps(m), lv=_mm512_set1_ps(ls);
  int c=0; int h=(int)(((64-((long)orow&63))&63)/4); for(;c<h;c++) orow[c]=(xr[c]-m)-ls; for(;c+16<=C;c+=16) _mm512_stream_ps(orow+c,_mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(xr+c),mv),lv));
  for(;c<C;c++) orow[c]=(xr[c]-m)-ls;
}
static inline void rowdirect128(const float* restrict xr, float* restrict orow){
  float m=-1e30f;
#pragma omp simd reduction(max:m)
  for(int c=0;c<C;c++) m = xr[c]>m?xr[c]:m;
  float s=0;
#pragma omp simd reduction(+:s)
  for(int c=0;c<C;c++){ float d=xr[c]-m; float e=1+d*(1+d*(0.5f+d*0.1666f)); s+=e;}
  float ls=s*0.001f; __m512 mv=_mm512_set1_ps(m), lv=_mm512_set1_ps(ls);
  int c=0; int h=(int)(((64-((long)orow&63))&63)/4); for(;c<h;c++) orow[c]=(xr[c]-m)-ls; for(;c+16<=C;c+=16) { __m512 v=_mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(xr+c),mv),lv); _mm_stream_ps(orow+c,_mm512_extractf32x4_ps(v,0)); _mm_stream_ps(orow+c+4,_mm512_extractf32x4_ps(v,1)); _mm_stream_ps(orow+c+8,_mm512_extractf32x4_ps(v,2)); _mm_stream_ps(orow+c+12,_mm512_extractf32x4_ps(v,3)); }
  for(;c<C;c++) orow[c]=(xr[c]-m)-ls;
}
__attribute__((noinline)) void ntdirect128(){ for(long r=0;r<R;r++) rowdirect128(x+r*C,o+r*C); _mm_sfence(); }
__attribute__((noinline)) void ntdirect(){ for(long r=0;r<R;r++) rowdirect(x+r*C,o+r*C); _mm_sfence(); }
__attribute__((noinline)) void plain2(){ for(long r=0;r<R;r++) row(x+r*C,o+r*C,g+r*C); }
__attribute__((noinline)) void nt2(){ for(long r=0;r<R;r+=2){ row(x+r*C,so,sg); row(x+(r+1)*C,so+C,sg+C); ntcopy(o+r*C,so,2*C); ntcopy(g+r*C,sg,2*C);} _mm_sfence(); }
int cmp(const void*a,const void*b){double d=*(double*)a-*(double*)b;return d<0?-1:d>0;}
int main(){ long N=(long)R*C; g=aligned_alloc(2<<20,N*4); x=(float*)aligned_alloc(2<<20,N*4+4096) + (getenv("XOFF")?atoi(getenv("XOFF")):0); o=aligned_alloc(2<<20,N*4); if(getenv("HP")){madvise(x,N*4,MADV_HUGEPAGE); madvise(o,N*4,MADV_HUGEPAGE); madvise(g,N*4,MADV_HUGEPAGE);} 
 for(long i=0;i<N;i++) x[i]=(i%777)*0.001f; memset(o,0,N*4); memset(g,0,N*4);
 void (*f[5])()={plain1,nt1,nt1big,ntdirect,ntdirect128}; const char*nm[5]={"plain","scratch2+nt","scratch16+nt","direct nt512","direct nt128"};
 enum{K=41}; double t[5][K];
 for(int r=0;r<K;r++) for(int k=0;k<5;k++){double a=now(); f[k](); t[k][r]=now()-a;}
 for(int k=0;k<5;k++){qsort(t[k],K,sizeof(double),cmp); printf("%-7s median %.3f ms  min %.3f ms\n",nm[k],1e3*t[k][K/2],1e3*t[k][0]);}
}
