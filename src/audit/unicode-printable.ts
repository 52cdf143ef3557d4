/**
 * Which code points Python's `repr(str)` leaves as they are: those `str.isprintable()` accepts
 * (everything except the categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than the space).
 * JavaScript engines ship their own Unicode versions, so instead of `\p{…}` this embeds the
 * table of CPython 3.11 (Unicode 14.0.0), which makes `repr` identical on every engine.
 * `test/dis.test.ts` checks it against the python3 it finds when that one uses the same Unicode.
 *
 * Data: the 701 ranges of non-printable code points, as numbers: alternately the gap since the end of
 * the previous range (+1) and the range's length (-1). A character's digit is its code less 40, less
 * one past '\\' and one past '`' (neither is used); digits 56 and up (less 56) lead a number in base 29,
 * a digit below 56 ends it as its last digit in base 56.
 * Regenerated from `[c for c in range(0x110000) if not chr(c).isprintable()]` under python3.11.
 */
export const UNICODE_VERSION = '14.0.0';

const DATA =
  '(GcOI4(nR).+/()(<(i-(N)Z)+(a/C+.8>(e@(X)c+)cU5c+)Y)7(D))(3,G0c:(dY(0)*)>(/()*,)1)*),/)+*(-)A)+(.+*)>' +
  '(/(*(*(*))(-+*)+*).,().91+(1(+(>(/(*(-)2(+(+))6,)4./(+(0)*)>(/(*(-)1)*)+.++*(-):1*(.*+(,**()(****+*4' +
  '+-*+(,))-)5=,5(+(?(8)1(+(,.*(+))),)2.>(+(?(2(-)1(+(,.*-*(,)2(*45(+([(+(.+8)B(+(:*@(1())/*)+.()(0-2)+' +
  '3c*+EL*()(-(@()(?)-()(.)2),Gc8(L+O(L(7(5LeF(),))hQ(,)/()(,)Q(,)I(,)/()(,)7(c)(,)c3)H*B-cF).)m@(D*cI.' +
  '>0@0<35(+(*3cN)2-2-6(3-cI.S,c61G(4+4+)*R)-2T+B-3*c.)c1(E)3-2-6)GXc=*W(d,/c,*7*c,.S)3/S,kF).)N).)0()(' +
  ')()(G)^(7(6).(;)+(18@/W8*)C(5*I6I6dD+mW@3<ce<)H(h5,U(),))c(.*5@0/(/(/(/(/(/(/(/(d6IB(cI3eVA4,c/(cF)c' +
  'W,S(cN(cD3W(tc-*a0h4;e8/eK,*()(-?c+*2-c(/c6/4-d,2F*c>(3+I(a06)2)cW?D1.).).0/(/(c,+d6)2-h{D3?+Ygg[hF)' +
  'cZM/3-,B(-()(*(*(d57i^)_.)GR-[(;(,+-(d?+e>*.).).)+*/(/4*)4(B(;(*(7)6Id3,++U*cH(5*)VVd9E*Y6D+L0F,S,F(' +
  'M+6QdV)2-L+L+P/]24(7(/(*(3(7(/(*c2gG0>10?.(R(1c4.))(T(**))?(c8/1W;(*,I*C,)c/c(+<)Z(*,0(+(E)++2.1.c0G' +
  'O+40_*E)C,B.,3/c?c9_[4[.V/2g5G(R(+)*c=P/R=BMD;?0c>+L0c.(-4A.2-^(:/O0cP(<2:(Tc0/()(,(7(3-c+,2-,(0)*)>' +
  '(/(*(-(2)*)+))-),/)/*-dBcL(-Ec8/2d^_)NIc522-5:c*-2^C)7+?e8c,cScC30)))0(*(F(*)402c50)V)3Bc8/cC4c9fN1(' +
  'U(61E*H)>(6c8/(*(T*)(*(1/2-.(*(M(*(..2gEAe6)6Z4rCcUca(-2eDct+cS4u/dp8l?gk0l1.G(2+cA(2-F).1c612(/(=,;' +
  'n7cKcTc;+c).9c/-2*5exH/x.Q1gpF,(/(*(g3T+8,/i,cn3c[,5*1.2),d{aV)?0d,c+f>1O)c:/d(<c6dQ<3cG0Ad>cE(c7(*)' +
  '))*),(4()(/(c1(,)0(/(D(,(-()*/(h,)g4)nF6-(7uOGf(/(9)/(*(-eTU*6)2+*gOG8c*,)x7/(,(*(7(eE)8Pc<+2+*p(c4c' +
  ';c-eA,(C(*()))(2(,()()-)+)()()(+(*()))()()()()(*()),(/(,(,()(2(9,+(-(9[*fUT+cT37)7(7(M1e.aE4T+1.*5.d' +
  'QsH,8*5*d,3cI.4+)64+c(/2-P/F)*c=h,36)-*-*/0E*3,.12-0//0dK(aL2t=|jXGdr1.e_)eqZ5fsAc|>kN|Yec3qhbDf8ffw' +
  'a';

let starts: Uint32Array | undefined;
let ends: Uint32Array | undefined;

function load(): void {
  const numbers: number[] = [];
  let high = 0;
  for (let i = 0; i < DATA.length; i++) {
    const c = DATA.charCodeAt(i);
    const d = c - 40 - +(c > 92) - +(c > 96);
    if (d < 56) {
      numbers.push(high * 56 + d);
      high = 0;
    } else high = high * 29 + d - 56;
  }
  const n = numbers.length / 2;
  const s = new Uint32Array(n);
  const e = new Uint32Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    s[i] = prev + numbers[2 * i]!;
    e[i] = s[i]! + numbers[2 * i + 1]!;
    prev = e[i]! + 1;
  }
  starts = s;
  ends = e;
}

/** True when Python's `chr(cp).isprintable()` is (for Unicode 14.0.0). */
export function isPrintable(cp: number): boolean {
  if (cp >= 0x20 && cp < 0x7f) return true;
  if (starts === undefined) load();
  const s = starts!;
  const e = ends!;
  let lo = 0;
  let hi = s.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < s[mid]) hi = mid - 1;
    else if (cp > e[mid]) lo = mid + 1;
    else return false;
  }
  return true;
}
