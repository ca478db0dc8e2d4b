//! Re-encoding of ggml quantised blocks for candle's fastest CPU kernels:
//! its repacked VNNI/AMX matmuls take Q4_K/Q6_K/Q8_0 rows whose width is a
//! multiple of 256, so narrower Q4_0/Q5_0/Q8_0 rows are re-encoded (exactly)
//! as Q8_0 and padded with zero columns. Callers pad their inputs to match.

use candle_core::quantized::{ggml_file, GgmlDType, QTensor};
use candle_core::Device;

use crate::error::{ModelError, Result};

pub(crate) const QK_K: usize = 256;
pub(crate) const Q4_0_BLOCK: usize = 18;
pub(crate) const Q5_0_BLOCK: usize = 22;
pub(crate) const Q8_0_BLOCK: usize = 34;

/// Re-encodes Q4_0, Q5_0 or Q8_0 blocks (`block` bytes each) as Q8_0 with
/// each row padded by zero blocks to a multiple of 256 columns. Lossless:
/// Q4_0 (f16 scale, 32 four-bit values offset by 8) and Q5_0 (32 five-bit
/// values offset by 16) hold values a Q8_0 block (same f16 scale, 32 i8)
/// can, and zero columns add nothing.
pub(crate) fn as_padded_q8_0(
    t: &QTensor,
    rows: usize,
    cols: usize,
    block: usize,
) -> Result<QTensor> {
    let raw = t.data()?;
    let per_row = cols / 32;
    if cols == 0 || !cols.is_multiple_of(32) || raw.len() != rows * per_row * block {
        return Err(ModelError::Config(format!(
            "{:?} 数据长度 {} 与形状 [{rows}, {cols}] 不符",
            t.dtype(),
            raw.len()
        )));
    }
    let padded = cols.div_ceil(QK_K) * QK_K;
    let mut out = Vec::with_capacity(rows * padded / 32 * Q8_0_BLOCK);
    for row in raw.chunks_exact(per_row * block) {
        for b in row.chunks_exact(block) {
            if block == Q8_0_BLOCK {
                out.extend_from_slice(b);
                continue;
            }
            if block == Q4_0_BLOCK {
                let (d, qs) = b.split_at(2);
                out.extend_from_slice(d);
                out.extend(qs.iter().map(|q| (q & 0x0F).wrapping_sub(8)));
                out.extend(qs.iter().map(|q| (q >> 4).wrapping_sub(8)));
                continue;
            }
            let (d, rest) = b.split_at(2);
            let (qh, qs) = rest.split_at(4);
            let qh = u32::from_le_bytes([qh[0], qh[1], qh[2], qh[3]]);
            out.extend_from_slice(d);
            let mut hi = [0u8; 16];
            for (j, &q) in qs.iter().enumerate() {
                let lo_bit = ((qh >> j) << 4) as u8 & 0x10;
                out.push(((q & 0x0F) | lo_bit).wrapping_sub(16));
                let hi_bit = (qh >> (j + 12)) as u8 & 0x10;
                hi[j] = ((q >> 4) | hi_bit).wrapping_sub(16);
            }
            out.extend_from_slice(&hi);
        }
        out.resize(out.len() + (padded - cols) / 32 * Q8_0_BLOCK, 0);
    }
    ggml_file::qtensor_from_ggml(GgmlDType::Q8_0, &out, vec![rows, padded], &Device::Cpu)
        .map_err(ModelError::from)
}
