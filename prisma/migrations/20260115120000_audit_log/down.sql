-- DropForeignKey
ALTER TABLE "AuditLog" DROP CONSTRAINT "AuditLog_userId_fkey";

-- AlterTable
ALTER TABLE "User" DROP COLUMN "lastLoginAt";

-- DropTable
DROP TABLE "AuditLog";

-- DropEnum
DROP TYPE "AuditAction";
