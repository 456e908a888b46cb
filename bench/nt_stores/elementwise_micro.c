// The mse_loss gradient pattern over 16M floats (grad = 0.5·2·(x - y), 1 thread), order rotated.
// In 1024-element sub-chunks as core/elementwise.hpp: plain stores; each sub-chunk computed into
// an L1 scratch (at the output's offset modulo 4096) then streamed out; 512-bit non-temporal
// stores from the loop; groups of 16 values computed by an omp simd loop into a 64-byte buffer,
// then streamed (512-bit, or four 128-bit: what core/stream.hpp does); and with the 'mean' sum
// pass over each sub-chunk in front, plain against the 16-value groups.
//   gcc -O3 -fopenmp-simd -march=x86-64-v4 elementwise_micro.c -o ew && taskset -c 1 ./ew
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#define N (16L<<20)
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
static float *x,*y,*gr;
static float scr_raw[4096/4*3] __attribute__((aligned(4096)));
__attribute__((noinline)) void plain(){
  for(long c0=0;c0<N;c0+=1024){
#pragma omp simd
    for(long i=c0;i<c0+1024;i++) gr[i]=0.5f*(2.0f*(x[i]-y[i]));
  }
}
__attribute__((noinline)) void scratch_nt(){
  for(long c0=0;c0<N;c0+=1024){
    float* s = (float*)((char*)scr_raw + ((unsigned long)(gr+c0) & 4095));
#pragma omp simd
    for(long i=0;i<1024;i++) s[i]=0.5f*(2.0f*(x[c0+i]-y[c0+i]));
    for(long i=0;i<1024;i+=16) _mm512_stream_ps(gr+c0+i,_mm512_loadu_ps(s+i));
  }
  _mm_sfence();
}
__attribute__((noinline)) void direct_nt(){
  __m512 h=_mm512_set1_ps(0.5f), t=_mm512_set1_ps(2.0f);
  for(long i=0;i<N;i+=16) _mm512_stream_ps(gr+i,_mm512_mul_ps(h,_mm512_mul_ps(t,_mm512_sub_ps(_mm512_loadu_ps(x+i),_mm512_loadu_ps(y+i)))));
  _mm_sfence();
}
__attribute__((noinline)) void tiny_nt(){
  for(long c0=0;c0<N;c0+=1024){
    for(long i=c0;i<c0+1024;i+=16){
      float buf[16] __attribute__((aligned(64)));
#pragma omp simd
      for(int j=0;j<16;j++) buf[j]=0.5f*(2.0f*(x[i+j]-y[i+j]));
      _mm512_stream_ps(gr+i,_mm512_load_ps(buf));
    }
  }
  _mm_sfence();
}
__attribute__((noinline)) void tiny_nt128(){
  for(long c0=0;c0<N;c0+=1024){
    for(long i=c0;i<c0+1024;i+=16){
      float buf[16] __attribute__((aligned(64)));
#pragma omp simd
      for(int j=0;j<16;j++) buf[j]=0.5f*(2.0f*(x[i+j]-y[i+j]));
      for(int q=0;q<16;q+=4) _mm_stream_ps(gr+i+q,_mm_load_ps(buf+q));
    }
  }
  _mm_sfence();
}
static double sink;
__attribute__((noinline)) void phased_plain(){
  double tot=0;
  for(long c0=0;c0<N;c0+=1024){
    double s=0;
#pragma omp simd reduction(+:s)
    for(long i=c0;i<c0+1024;i++){ float d=x[i]-y[i]; s+=(double)(d*d);} 
    tot+=s;
#pragma omp simd
    for(long i=c0;i<c0+1024;i++) gr[i]=0.5f*(2.0f*(x[i]-y[i]));
  }
  sink=tot;
}
__attribute__((noinline)) void phased_nt(){
  double tot=0;
  for(long c0=0;c0<N;c0+=1024){
    double s=0;
#pragma omp simd reduction(+:s)
    for(long i=c0;i<c0+1024;i++){ float d=x[i]-y[i]; s+=(double)(d*d);} 
    tot+=s;
    for(long i=c0;i<c0+1024;i+=16){
      float buf[16] __attribute__((aligned(64)));
#pragma omp simd
      for(int j=0;j<16;j++) buf[j]=0.5f*(2.0f*(x[i+j]-y[i+j]));
      for(int q=0;q<16;q+=4) _mm_stream_ps(gr+i+q,_mm_load_ps(buf+q));
    }
  }
  _mm_sfence();
  sink=tot;
}
int cmp(const void*a,const void*b){double d=*(double*)a-*(double*)b;return d<0?-1:d>0;}
int main(){
  float** arr[3]={&x,&y,&gr};
  for(int k=0;k<3;k++){ *arr[k]=aligned_alloc(2<<20,N*4); madvise(*arr[k],N*4,MADV_HUGEPAGE); memset(*arr[k],0,N*4);} 
  for(long i=0;i<N;i++){x[i]=i*1e-6f;y[i]=1.0f;}
  void (*f[7])()={plain,scratch_nt,direct_nt,tiny_nt,tiny_nt128,phased_plain,phased_nt}; const char*nm[7]={"grad plain","grad: L1 chunk, then streamed","grad: 512-bit streams in the loop","grad: 16-value groups, 512-bit","grad: 16-value groups, 4x128-bit","sum+grad plain","sum+grad 16-value groups 4x128"};
  enum{R=31}; double t[7][R];
  for(int r=0;r<R;r++) for(int kk=0;kk<7;kk++){int k=(kk+r)%7; double a=now(); f[k](); t[k][r]=now()-a;}
  for(int k=0;k<7;k++){qsort(t[k],R,sizeof(double),cmp); printf("%-36s median %.3f ms  min %.3f ms\n",nm[k],1e3*t[k][R/2],1e3*t[k][0]);}
}
