#pragma once
// Test input files: `size` pseudo-random bytes from `seed`, written in 1 MiB
// blocks. Returns their SHA-256 (hex), computed here with Qt, independently of
// the code under test; empty when the file could not be written.

#include <QByteArray>
#include <QCryptographicHash>
#include <QFile>
#include <QRandomGenerator>
#include <QString>

#include <algorithm>

namespace streamlab::test {

inline QString writeRandomFile(const QString& path, qint64 size, quint32 seed)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    QRandomGenerator rng(seed);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QByteArray block(1 << 20, Qt::Uninitialized);
    for (qint64 done = 0; done < size;) {
        const qint64 n = std::min<qint64>(block.size(), size - done);
        rng.fillRange(reinterpret_cast<quint32*>(block.data()), block.size() / 4);
        if (file.write(block.constData(), n) != n)
            return {};
        hash.addData(QByteArrayView(block.constData(), n));
        done += n;
    }
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace streamlab::test
