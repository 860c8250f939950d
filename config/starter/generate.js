#!/usr/bin/env node
/*
 * Generates config/starter/pricebook.json and config/starter/promotions.json.
 *
 *   node config/starter/generate.js          # write the files
 *   node config/starter/generate.js --check  # exit 1 if the committed files differ from what would be generated
 *
 * Deterministic: no randomness, no clock. Plain CommonJS, no dependencies. Edit the tables below, regenerate,
 * commit the script together with its outputs.
 *
 * Product names are real-world brands for realism; prices are plausible CNY shelf prices, NOT actual prices.
 * EAN-13 barcodes are synthetic (GS1 China prefixes 690–699, valid check digit) and are NOT the manufacturers'
 * real GTINs — replace the whole file with the HQ export before going live.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const VERSION = 'starter-1';
const CURRENCY = 'CNY';

// ---------------------------------------------------------------------------------------------------- helpers

/** EAN-13 check digit for a 12-digit string (weights 1,3,1,3… from the left). */
function ean13CheckDigit(d12) {
  if (!/^\d{12}$/.test(d12)) throw new Error(`need 12 digits, got ${d12}`);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(d12[i]) * (i % 2 === 0 ? 1 : 3);
  return String((10 - (sum % 10)) % 10);
}

/** ¥ amount given as a decimal string/number → integer fen. */
function fen(yuan) {
  const s = typeof yuan === 'number' ? yuan.toFixed(2) : yuan;
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) throw new Error(`bad price ${yuan}`);
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

/**
 * Synthetic, stable manufacturer prefixes: brand #k gets GS1 China prefix 690+(k mod 10) and a 4-digit company
 * number; items of a brand are numbered 00001, 00002, … in table order.
 */
const brandCodes = new Map();
const brandCounters = new Map();
function syntheticEan(brand) {
  if (!brandCodes.has(brand)) {
    const k = brandCodes.size;
    brandCodes.set(brand, `${690 + (k % 10)}${String(1000 + ((k * 7919) % 9000)).padStart(4, '0')}`);
  }
  const n = (brandCounters.get(brand) || 0) + 1;
  brandCounters.set(brand, n);
  const d12 = brandCodes.get(brand) + String(n).padStart(5, '0');
  return d12 + ean13CheckDigit(d12);
}

// ------------------------------------------------------------------------------------------------------ tables
//
// Row: [brand, zh-CN name, en name, price ¥ (per kg when weighed), flags?]
// flags: 'r' = reduced tax class (9 %), 'w' = sold by weight (implies r), '2' = a second barcode (the item's
// previous packaging GTIN still on shelves; same product and price — never a multipack, which is its own SKU).
//
// Categories get SKU blocks of 100: category n → SKU-000n01 … SKU-000n99 (in table order).

const CATEGORIES = [
  {
    id: 'drinks',
    zh: '饮料',
    items: [
      ['可口可乐', '可口可乐 330ml 罐装', 'Coca-Cola 330 ml can', '2.50', '2'],
      ['可口可乐', '可口可乐 500ml', 'Coca-Cola 500 ml', '3.00'],
      ['可口可乐', '可口可乐 1.25L', 'Coca-Cola 1.25 L', '4.80'],
      ['可口可乐', '可口可乐 2L', 'Coca-Cola 2 L', '6.50'],
      ['可口可乐', '可口可乐零度 330ml 罐装', 'Coca-Cola Zero 330 ml can', '2.50'],
      ['可口可乐', '可口可乐零度 500ml', 'Coca-Cola Zero 500 ml', '3.00'],
      ['可口可乐', '雪碧 330ml 罐装', 'Sprite 330 ml can', '2.50'],
      ['可口可乐', '雪碧 500ml', 'Sprite 500 ml', '3.00'],
      ['可口可乐', '雪碧 2L', 'Sprite 2 L', '6.50'],
      ['可口可乐', '芬达 橙味 500ml', 'Fanta Orange 500 ml', '3.00'],
      ['百事', '百事可乐 330ml 罐装', 'Pepsi 330 ml can', '2.50'],
      ['百事', '百事可乐 600ml', 'Pepsi 600 ml', '3.50'],
      ['百事', '美年达 橙味 600ml', 'Mirinda Orange 600 ml', '3.50'],
      ['百事', '七喜 600ml', '7UP 600 ml', '3.50'],
      ['农夫山泉', '农夫山泉 饮用天然水 550ml', 'Nongfu Spring Natural Water 550 ml', '2.00', '2'],
      ['农夫山泉', '农夫山泉 饮用天然水 1.5L', 'Nongfu Spring Natural Water 1.5 L', '3.50'],
      ['农夫山泉', '农夫山泉 饮用天然水 4L', 'Nongfu Spring Natural Water 4 L', '8.00'],
      ['农夫山泉', '农夫山泉 东方树叶 茉莉花茶 500ml', 'Nongfu Spring Oriental Leaf Jasmine Tea 500 ml', '5.00'],
      ['怡宝', '怡宝 纯净水 555ml', "C'estbon Purified Water 555 ml", '2.00'],
      ['怡宝', '怡宝 纯净水 1.555L', "C'estbon Purified Water 1.555 L", '3.50'],
      ['百岁山', '百岁山 天然矿泉水 570ml', 'Ganten Natural Mineral Water 570 ml', '3.00'],
      ['依云', '依云 天然矿泉水 500ml', 'Evian Natural Mineral Water 500 ml', '8.50'],
      ['康师傅', '康师傅 冰红茶 500ml', 'Master Kong Iced Black Tea 500 ml', '3.00'],
      ['康师傅', '康师傅 绿茶 500ml', 'Master Kong Green Tea 500 ml', '3.00'],
      ['康师傅', '康师傅 茉莉清茶 500ml', 'Master Kong Jasmine Tea 500 ml', '3.00'],
      ['统一', '统一 冰红茶 500ml', 'Uni-President Iced Black Tea 500 ml', '3.00'],
      ['统一', '统一 阿萨姆奶茶 500ml', 'Uni-President Assam Milk Tea 500 ml', '4.00'],
      ['王老吉', '王老吉 凉茶 310ml 罐装', 'Wong Lo Kat Herbal Tea 310 ml can', '4.00'],
      ['加多宝', '加多宝 凉茶 310ml 罐装', 'JDB Herbal Tea 310 ml can', '4.00'],
      ['红牛', '红牛 维生素功能饮料 250ml', 'Red Bull Energy Drink 250 ml', '6.00'],
      ['东鹏', '东鹏特饮 500ml', 'Eastroc Super Drink 500 ml', '5.00'],
      ['脉动', '脉动 青柠味 600ml', 'Mizone Lime 600 ml', '4.50'],
      ['佳得乐', '佳得乐 橙味 600ml', 'Gatorade Orange 600 ml', '5.00'],
      ['元气森林', '元气森林 苏打气泡水 白桃味 480ml', 'Genki Forest Sparkling Water White Peach 480 ml', '5.00'],
      ['元气森林', '元气森林 苏打气泡水 葡萄味 480ml', 'Genki Forest Sparkling Water Grape 480 ml', '5.00'],
      ['三得利', '三得利 乌龙茶 无糖 500ml', 'Suntory Oolong Tea Unsweetened 500 ml', '5.50'],
      ['汇源', '汇源 100%橙汁 1L', 'Huiyuan 100% Orange Juice 1 L', '12.90'],
      ['美汁源', '美汁源 果粒橙 450ml', 'Minute Maid Orange with Pulp 450 ml', '4.00'],
      ['椰树', '椰树 椰汁 245ml', 'Coconut Palm Coconut Juice 245 ml', '4.00'],
      ['雀巢', '雀巢咖啡 丝滑拿铁 268ml', 'Nescafé Silky Latte 268 ml', '6.50'],
      ['雀巢', '雀巢咖啡 1+2 原味 15条装', 'Nescafé 1+2 Original 15 sticks', '26.90'],
      ['星巴克', '星巴克 星冰乐 咖啡味 281ml', 'Starbucks Frappuccino Coffee 281 ml', '12.00'],
      ['立顿', '立顿 黄牌精选红茶 100包', 'Lipton Yellow Label Tea 100 bags', '32.90'],
      ['娃哈哈', '娃哈哈 AD钙奶 220ml×4', 'Wahaha AD Calcium Milk Drink 4×220 ml', '9.90'],
      ['维他奶', '维他奶 原味豆奶 250ml', 'Vitasoy Original Soy Milk 250 ml', '3.50'],
      ['养元', '六个核桃 核桃乳 240ml', 'Six Walnuts Walnut Milk 240 ml', '4.50'],
    ],
  },
  {
    id: 'dairy',
    zh: '乳品',
    items: [
      ['蒙牛', '蒙牛 纯牛奶 250ml', 'Mengniu Pure Milk 250 ml', '3.00', 'r2'],
      ['蒙牛', '蒙牛 纯牛奶 250ml×16盒', 'Mengniu Pure Milk 16×250 ml', '52.00', 'r'],
      ['蒙牛', '特仑苏 纯牛奶 250ml×12盒', 'Deluxe Pure Milk 12×250 ml', '65.00', 'r'],
      ['蒙牛', '蒙牛 真果粒 草莓味 250g', 'Mengniu Real Fruit Bits Strawberry 250 g', '4.50'],
      ['蒙牛', '蒙牛 纯甄 原味酸奶 200g', 'Mengniu Just Yoghurt Original 200 g', '5.00'],
      ['蒙牛', '蒙牛 纯甄 芒果味酸奶 200g', 'Mengniu Just Yoghurt Mango 200 g', '5.00'],
      ['伊利', '伊利 纯牛奶 250ml', 'Yili Pure Milk 250 ml', '3.00', 'r'],
      ['伊利', '伊利 纯牛奶 250ml×16盒', 'Yili Pure Milk 16×250 ml', '52.00', 'r'],
      ['伊利', '伊利 金典 纯牛奶 250ml×12盒', 'Yili Satine Pure Milk 12×250 ml', '62.00', 'r'],
      ['伊利', '伊利 QQ星 儿童成长牛奶 125ml×4', 'Yili QQ Star Kids Growth Milk 4×125 ml', '13.90'],
      ['伊利', '安慕希 希腊风味酸奶 原味 205g', 'Ambrosial Greek-Style Yoghurt Original 205 g', '5.50'],
      ['伊利', '安慕希 希腊风味酸奶 黄桃燕麦 200g', 'Ambrosial Greek-Style Yoghurt Yellow Peach & Oat 200 g', '5.50'],
      ['伊利', '安慕希 希腊风味酸奶 原味 205g×12', 'Ambrosial Greek-Style Yoghurt Original 12×205 g', '59.90'],
      ['伊利', '伊利 畅轻 燕麦酸奶 250g', 'Yili Changqing Oat Yoghurt 250 g', '7.50'],
      ['光明', '光明 鲜牛奶 950ml', 'Bright Dairy Fresh Milk 950 ml', '15.80', 'r'],
      ['光明', '光明 优倍 鲜牛奶 450ml', 'Bright Dairy Youbei Fresh Milk 450 ml', '8.90', 'r'],
      ['光明', '光明 莫斯利安 原味酸奶 200g', 'Bright Dairy Momchilovtsi Yoghurt Original 200 g', '5.50'],
      ['君乐宝', '君乐宝 简醇 0蔗糖酸奶 150g', 'Junlebao Jianchun Zero-Sucrose Yoghurt 150 g', '4.50'],
      ['卡士', '卡士 餐后一小时 双歧杆菌酸奶 100g', 'CLASSY·KISS Bifidus Yoghurt 100 g', '6.50'],
      ['养乐多', '养乐多 活菌型乳酸菌饮品 100ml×5', 'Yakult Probiotic Drink 5×100 ml', '12.50'],
      ['味全', '味全 活性乳酸菌饮品 435ml', 'Weichuan Active Lactobacillus Drink 435 ml', '9.90'],
      ['安佳', '安佳 无盐黄油 227g', 'Anchor Unsalted Butter 227 g', '32.00'],
      ['妙可蓝多', '妙可蓝多 奶酪棒 原味 500g', 'Milkground Cheese Sticks Original 500 g', '39.90'],
      ['妙可蓝多', '妙可蓝多 芝士片 200g', 'Milkground Cheese Slices 200 g', '19.90'],
      ['伊利', '巧乐兹 经典巧克力 雪糕 75g', 'Qiaolezi Classic Chocolate Ice-Cream Bar 75 g', '4.00'],
      ['蒙牛', '蒙牛 随变 香草味 冰淇淋 75g', 'Mengniu Suibian Vanilla Ice Cream 75 g', '5.00'],
      ['和路雪', '梦龙 香草味 冰淇淋 64g', 'Magnum Vanilla Ice Cream 64 g', '9.00'],
    ],
  },
  {
    id: 'snacks',
    zh: '休闲零食',
    items: [
      ['乐事', '乐事 薯片 美国经典原味 70g', "Lay's Potato Chips Classic 70 g", '7.50'],
      ['乐事', '乐事 薯片 黄瓜味 70g', "Lay's Potato Chips Cucumber 70 g", '7.50'],
      ['乐事', '乐事 薯片 青柠味 70g', "Lay's Potato Chips Lime 70 g", '7.50'],
      ['乐事', '乐事 薯片 意大利香浓红烩味 70g', "Lay's Potato Chips Italian Red Sauce 70 g", '7.50'],
      ['乐事', '乐事 薯片 美国经典原味 135g', "Lay's Potato Chips Classic 135 g", '12.50'],
      ['乐事', '乐事 无限 翡翠黄瓜味 罐装 104g', "Lay's Stax Cucumber 104 g", '10.90'],
      ['品客', '品客 薯片 原味 110g', 'Pringles Original 110 g', '12.90'],
      ['品客', '品客 薯片 酸奶洋葱味 110g', 'Pringles Sour Cream & Onion 110 g', '12.90'],
      ['奥利奥', '奥利奥 原味夹心饼干 97g', 'Oreo Original Sandwich Cookies 97 g', '6.50'],
      ['奥利奥', '奥利奥 原味夹心饼干 家庭装 349g', 'Oreo Original Sandwich Cookies Family Pack 349 g', '17.90'],
      ['趣多多', '趣多多 巧克力豆曲奇 85g', 'Chips Ahoy! Chocolate Chip Cookies 85 g', '6.50'],
      ['好丽友', '好丽友 巧克力派 6枚 204g', 'Orion Choco Pie 6 pcs 204 g', '13.90'],
      ['好丽友', '好丽友 呀!土豆 番茄酱味 40g', 'Orion Oh! Potato Ketchup 40 g', '5.50'],
      ['旺旺', '旺旺 雪饼 84g', 'Want Want Snow Rice Crackers 84 g', '6.90'],
      ['旺旺', '旺旺 仙贝 52g', 'Want Want Senbei Rice Crackers 52 g', '4.50'],
      ['旺旺', '旺旺 浪味仙 蔬菜味 70g', 'Want Want Lonely God Vegetable Rolls 70 g', '6.50'],
      ['旺旺', '旺仔 QQ糖 葡萄味 70g', 'Want Want QQ Gummies Grape 70 g', '4.50'],
      ['旺旺', '旺旺 大礼包 520g', 'Want Want Snack Gift Pack 520 g', '39.90'],
      ['卫龙', '卫龙 大面筋 102g', 'Weilong Spicy Gluten Strips 102 g', '5.00'],
      ['卫龙', '卫龙 魔芋爽 香辣味 180g', 'Weilong Spicy Konjac Strips 180 g', '12.90'],
      ['三只松鼠', '三只松鼠 每日坚果 750g(30袋)', 'Three Squirrels Daily Nuts 750 g (30 packs)', '99.00'],
      ['三只松鼠', '三只松鼠 夏威夷果 265g', 'Three Squirrels Macadamia Nuts 265 g', '29.90'],
      ['良品铺子', '良品铺子 猪肉脯 100g', 'Bestore Pork Jerky 100 g', '19.90'],
      ['洽洽', '洽洽 香瓜子 260g', 'ChaCha Roasted Sunflower Seeds 260 g', '10.90'],
      ['洽洽', '洽洽 山核桃味瓜子 108g', 'ChaCha Pecan-Flavour Sunflower Seeds 108 g', '6.50'],
      ['徐福记', '徐福记 酥心糖 258g', 'Hsu Fu Chi Crispy Candy 258 g', '16.90'],
      ['大白兔', '大白兔 奶糖 227g', 'White Rabbit Creamy Candy 227 g', '15.90'],
      ['德芙', '德芙 丝滑牛奶巧克力 43g', 'Dove Silky Milk Chocolate 43 g', '8.50'],
      ['德芙', '德芙 巧克力 碗装 252g', 'Dove Chocolate Assortment Bowl 252 g', '49.90'],
      ['士力架', '士力架 花生夹心巧克力 51g', 'Snickers Peanut Chocolate Bar 51 g', '5.50'],
      ['费列罗', '费列罗 榛果威化巧克力 16粒', 'Ferrero Rocher 16 pcs', '69.90'],
      ['益达', '益达 木糖醇口香糖 薄荷味 瓶装 56g', 'Extra Xylitol Gum Peppermint Bottle 56 g', '11.90'],
      ['绿箭', '绿箭 口香糖 原味薄荷 5片', 'Doublemint Chewing Gum 5 sticks', '3.00'],
      ['炫迈', '炫迈 无糖口香糖 西瓜味 50.4g', 'Stride Sugar-Free Gum Watermelon 50.4 g', '9.90'],
      ['康师傅', '康师傅 3+2 苏打夹心饼干 125g', 'Master Kong 3+2 Soda Sandwich Crackers 125 g', '6.00'],
      ['达利园', '达利园 好吃点 香脆腰果饼干 108g', 'Daliyuan Haochidian Cashew Biscuits 108 g', '5.50'],
      ['太平', '太平 梳打饼干 奶盐味 400g', 'Tai Ping Soda Crackers Milk & Salt 400 g', '13.90'],
      ['上好佳', '上好佳 鲜虾片 40g', 'Oishi Prawn Crackers 40 g', '3.50'],
      ['可比克', '可比克 薯片 番茄味 45g', 'Copico Potato Chips Tomato 45 g', '4.00'],
      ['周黑鸭', '周黑鸭 卤鸭脖 200g', 'Zhou Hei Ya Braised Duck Necks 200 g', '29.90'],
      ['王小卤', '王小卤 虎皮凤爪 卤香味 200g', 'Wang Xiaolu Tiger-Skin Chicken Feet 200 g', '29.90'],
      ['溜溜梅', '溜溜梅 青梅 160g', 'LiuLiuMei Green Plums 160 g', '12.90'],
      ['口水娃', '口水娃 兰花豆 牛肉味 250g', 'Koushuiwa Fried Broad Beans Beef 250 g', '9.90'],
      ['喜之郎', '喜之郎 什锦果冻 360g', 'Strong Assorted Fruit Jelly 360 g', '12.90'],
      ['阿尔卑斯', '阿尔卑斯 棒棒糖 10支', 'Alpenliebe Lollipops 10 pcs', '6.90'],
    ],
  },
  {
    id: 'instant-noodles',
    zh: '方便速食',
    items: [
      ['康师傅', '康师傅 红烧牛肉面 袋装 103g', 'Master Kong Braised Beef Noodles Bag 103 g', '3.00', '2'],
      ['康师傅', '康师傅 红烧牛肉面 五连包', 'Master Kong Braised Beef Noodles 5-pack', '13.90'],
      ['康师傅', '康师傅 红烧牛肉面 桶装 111g', 'Master Kong Braised Beef Noodles Bowl 111 g', '5.50'],
      ['康师傅', '康师傅 老坛酸菜牛肉面 袋装 114g', 'Master Kong Pickled Cabbage Beef Noodles Bag 114 g', '3.00'],
      ['康师傅', '康师傅 老坛酸菜牛肉面 桶装 120g', 'Master Kong Pickled Cabbage Beef Noodles Bowl 120 g', '5.50'],
      ['康师傅', '康师傅 香辣牛肉面 桶装 105g', 'Master Kong Spicy Beef Noodles Bowl 105 g', '5.50'],
      ['康师傅', '康师傅 鲜虾鱼板面 桶装 104g', 'Master Kong Shrimp & Fish Cake Noodles Bowl 104 g', '5.50'],
      ['统一', '统一 老坛酸菜牛肉面 袋装 121g', 'Uni-President Pickled Cabbage Beef Noodles Bag 121 g', '3.00'],
      ['统一', '统一 老坛酸菜牛肉面 桶装 120g', 'Uni-President Pickled Cabbage Beef Noodles Bowl 120 g', '5.50'],
      ['统一', '统一 来一桶 红烧牛肉面 110g', 'Uni-President Laiyitong Braised Beef Noodles Bowl 110 g', '5.50'],
      ['统一', '统一 汤达人 日式豚骨拉面 桶装 130g', 'Uni-President Soup Daren Tonkotsu Ramen Bowl 130 g', '8.50'],
      ['今麦郎', '今麦郎 一桶半 红烧牛肉面 145g', 'Jinmailang Yitongban Braised Beef Noodles 145 g', '5.00'],
      ['今麦郎', '今麦郎 弹面 红烧牛肉 五连包', 'Jinmailang Springy Noodles Braised Beef 5-pack', '9.90'],
      ['白象', '白象 汤好喝 老母鸡汤面 桶装 110g', 'Baixiang Old Hen Soup Noodles Bowl 110 g', '6.00'],
      ['白象', '白象 大骨面 五连包', 'Baixiang Bone Broth Noodles 5-pack', '11.90'],
      ['日清', '合味道 海鲜风味 杯面 84g', 'Cup Noodles Seafood 84 g', '6.50'],
      ['日清', '出前一丁 麻油味 100g', 'Demae Ramen Sesame Oil 100 g', '4.50'],
      ['农心', '农心 辛拉面 袋装 120g', 'Nongshim Shin Ramyun 120 g', '6.50'],
      ['三养', '三养 火鸡面 140g', 'Samyang Buldak Hot Chicken Ramen 140 g', '8.90'],
      ['螺霸王', '螺霸王 螺蛳粉 280g', 'Luobawang Luosifen River-Snail Rice Noodles 280 g', '13.90'],
      ['好欢螺', '好欢螺 螺蛳粉 400g', 'Haohuanluo Luosifen River-Snail Rice Noodles 400 g', '16.90'],
      ['白家陈记', '白家陈记 酸辣粉 105g', 'Baijia Chenji Hot & Sour Glass Noodles 105 g', '6.50'],
      ['海底捞', '海底捞 自热小火锅 麻辣牛肉 435g', 'Haidilao Self-Heating Hot Pot Spicy Beef 435 g', '42.00'],
    ],
  },
  {
    id: 'pantry',
    zh: '米面粮油 调味品',
    items: [
      ['五常', '五常 稻花香大米 5kg', 'Wuchang Daohuaxiang Rice 5 kg', '69.90', 'r'],
      ['金龙鱼', '金龙鱼 东北大米 5kg', 'Arawana Northeast Rice 5 kg', '39.90', 'r'],
      ['福临门', '福临门 泰国茉莉香米 5kg', 'Fortune Thai Jasmine Rice 5 kg', '59.90', 'r'],
      ['十月稻田', '十月稻田 长粒香大米 2.5kg', 'Shiyue Daotian Long-Grain Fragrant Rice 2.5 kg', '29.90', 'r'],
      ['金龙鱼', '金龙鱼 高筋麦芯粉 2.5kg', 'Arawana High-Gluten Wheat Flour 2.5 kg', '18.90', 'r'],
      ['香雪', '香雪 饺子粉 5kg', 'Xiangxue Dumpling Flour 5 kg', '32.90', 'r'],
      ['陈克明', '陈克明 鸡蛋挂面 1kg', 'Chen Keming Egg Noodles (dried) 1 kg', '9.90', 'r'],
      ['金龙鱼', '金龙鱼 黄金比例食用调和油 5L', 'Arawana 1:1:1 Blended Cooking Oil 5 L', '69.90', 'r'],
      ['鲁花', '鲁花 5S压榨一级花生油 5L', 'Luhua 5S Pressed Peanut Oil 5 L', '159.90', 'r'],
      ['福临门', '福临门 大豆油 5L', 'Fortune Soybean Oil 5 L', '59.90', 'r'],
      ['多力', '多力 葵花籽油 5L', 'Dori Sunflower Seed Oil 5 L', '79.90', 'r'],
      ['中盐', '中盐 精制食用盐 400g', 'China Salt Refined Table Salt 400 g', '2.50', 'r'],
      ['海天', '海天 金标生抽 500ml', 'Haday Golden Label Light Soy Sauce 500 ml', '9.90'],
      ['海天', '海天 老抽王 500ml', 'Haday Superior Dark Soy Sauce 500 ml', '10.90'],
      ['海天', '海天 味极鲜 酱油 760ml', 'Haday Weijixian Soy Sauce 760 ml', '15.90'],
      ['李锦记', '李锦记 旧庄蚝油 510g', 'Lee Kum Kee Oyster Sauce 510 g', '13.90'],
      ['李锦记', '李锦记 薄盐生抽 500ml', 'Lee Kum Kee Reduced-Salt Light Soy Sauce 500 ml', '12.90'],
      ['欣和', '欣和 六月鲜 特级酱油 500ml', 'Shinho June Fresh Premium Soy Sauce 500 ml', '13.90'],
      ['恒顺', '恒顺 镇江香醋 500ml', 'Hengshun Zhenjiang Aromatic Vinegar 500 ml', '7.90'],
      ['紫林', '紫林 山西老陈醋 500ml', 'Zilin Shanxi Mature Vinegar 500 ml', '8.90'],
      ['老干妈', '老干妈 风味豆豉油制辣椒 280g', 'Lao Gan Ma Chili Crisp with Fermented Soybeans 280 g', '11.50'],
      ['老干妈', '老干妈 油辣椒 210g', 'Lao Gan Ma Chili Oil 210 g', '9.90'],
      ['太太乐', '太太乐 鸡精 200g', 'Totole Chicken Bouillon Powder 200 g', '9.90'],
      ['莲花', '莲花 味精 400g', 'Lotus MSG 400 g', '9.90'],
      ['鹃城', '鹃城牌 郫县豆瓣酱 500g', 'Juancheng Pixian Chili Bean Paste 500 g', '12.90'],
      ['海底捞', '海底捞 火锅底料 牛油麻辣 220g', 'Haidilao Hot Pot Base Spicy Beef Tallow 220 g', '15.90'],
      ['王守义', '王守义 十三香 45g', 'Wang Shouyi Thirteen-Spice Powder 45 g', '6.50'],
      ['王致和', '王致和 料酒 500ml', 'Wangzhihe Cooking Wine 500 ml', '5.90'],
      ['太古', '太古 优级白砂糖 454g', 'Taikoo Fine White Sugar 454 g', '7.90'],
      ['亨氏', '亨氏 番茄酱 300g', 'Heinz Tomato Ketchup 300 g', '9.90'],
      ['丘比', '丘比 沙拉酱 香甜味 200g', 'Kewpie Sweet Salad Dressing 200 g', '10.90'],
      ['安琪', '安琪 高活性干酵母 13g×3', 'Angel Instant Dry Yeast 3×13 g', '5.90'],
    ],
  },
  {
    id: 'bakery',
    zh: '烘焙面包',
    items: [
      ['桃李', '桃李 醇熟切片面包 400g', 'Toly Mellow Sliced Bread 400 g', '10.50'],
      ['桃李', '桃李 天然酵母面包 90g', 'Toly Natural Yeast Bread 90 g', '3.50'],
      ['曼可顿', '曼可顿 全麦面包 400g', 'Mankattan Whole-Wheat Bread 400 g', '12.90'],
      ['达利园', '达利园 法式软面包 香奶味 200g', 'Daliyuan French Soft Bread Milk 200 g', '9.90'],
      ['盼盼', '盼盼 法式小面包 200g', 'Panpan French Mini Breads 200 g', '8.90'],
      ['港荣', '港荣 蒸蛋糕 原味 468g', 'Kong Wing Steamed Cakes Original 468 g', '19.90'],
      ['好丽友', '好丽友 蛋黄派 276g', 'Orion Egg Custard Pie 276 g', '13.90'],
      ['稻香村', '稻香村 枣花酥 300g', 'Daoxiangcun Jujube Flower Pastry 300 g', '19.90'],
      ['稻香村', '稻香村 牛舌饼 300g', 'Daoxiangcun Ox-Tongue Pastry 300 g', '19.90'],
      ['嘉华', '嘉华 玫瑰鲜花饼 6枚', 'Jiahua Rose Flower Cakes 6 pcs', '28.00'],
      ['本店烘焙', '现烤 牛角包', 'Fresh-Baked Croissant', '6.50'],
      ['本店烘焙', '现烤 菠萝包', 'Fresh-Baked Pineapple Bun', '5.00'],
      ['本店烘焙', '现烤 肉松面包', 'Fresh-Baked Pork Floss Bun', '6.00'],
      ['本店烘焙', '现烤 全麦吐司', 'Fresh-Baked Whole-Wheat Toast', '12.00'],
      ['本店烘焙', '现烤 葡式蛋挞 4只装', 'Fresh-Baked Portuguese Egg Tarts 4 pcs', '12.00'],
    ],
  },
  {
    id: 'household',
    zh: '家居清洁',
    items: [
      ['蓝月亮', '蓝月亮 深层洁净洗衣液 3kg', 'Bluemoon Deep Clean Laundry Detergent 3 kg', '49.90'],
      ['蓝月亮', '蓝月亮 深层洁净洗衣液 1kg', 'Bluemoon Deep Clean Laundry Detergent 1 kg', '19.90'],
      ['蓝月亮', '蓝月亮 洁厕液 500g', 'Bluemoon Toilet Bowl Cleaner 500 g', '9.90'],
      ['立白', '立白 超洁薰香洗衣液 2kg', 'Liby Super Clean Laundry Detergent 2 kg', '29.90'],
      ['立白', '立白 洗洁精 1.1kg', 'Liby Dishwashing Liquid 1.1 kg', '11.90'],
      ['奥妙', '奥妙 超效洁净洗衣粉 1.7kg', 'OMO Washing Powder 1.7 kg', '25.90'],
      ['汰渍', '汰渍 净白去渍洗衣粉 1.6kg', 'Tide Whitening Washing Powder 1.6 kg', '22.90'],
      ['碧浪', '碧浪 洗衣凝珠 30颗', 'Ariel Laundry Pods 30 pcs', '49.90'],
      ['金纺', '金纺 衣物护理剂 2.5L', 'Comfort Fabric Conditioner 2.5 L', '32.90'],
      ['白猫', '白猫 洗洁精 1.5kg', 'White Cat Dishwashing Liquid 1.5 kg', '12.90'],
      ['超能', '超能 天然皂粉洗衣皂 2块', 'Chaoneng Natural Laundry Soap 2 bars', '9.90'],
      ['威露士', '威露士 衣物消毒液 1L', 'Walch Laundry Sanitiser 1 L', '29.90'],
      ['滴露', '滴露 消毒液 750ml', 'Dettol Antiseptic Disinfectant 750 ml', '39.90'],
      ['威猛先生', '威猛先生 厨房重油污净 500g', 'Mr Muscle Kitchen Degreaser 500 g', '19.90'],
      ['维达', '维达 超韧抽纸 3层100抽×6包', 'Vinda Super Tough Facial Tissues 6×100 sheets', '19.90'],
      ['维达', '维达 蓝色经典卷纸 4层 10卷', 'Vinda Blue Classic Toilet Rolls 4-ply 10 rolls', '29.90'],
      ['清风', '清风 原木纯品抽纸 3层130抽×6包', 'Breeze Virgin Pulp Facial Tissues 6×130 sheets', '21.90'],
      ['心相印', '心相印 手帕纸 10包', 'Hearttex Pocket Tissues 10 packs', '6.90'],
      ['洁柔', '洁柔 卷纸 4层 10卷', 'C&S Toilet Rolls 4-ply 10 rolls', '32.90'],
      ['妙洁', '妙洁 保鲜膜 30m', 'Miaojie Cling Film 30 m', '14.90'],
      ['妙洁', '妙洁 点断式垃圾袋 3卷', 'Miaojie Tear-Off Garbage Bags 3 rolls', '13.90'],
      ['3M', '思高 百洁布 3片', 'Scotch-Brite Scrub Sponges 3 pcs', '9.90'],
      ['南孚', '南孚 5号碱性电池 4粒', 'Nanfu AA Alkaline Batteries 4 pcs', '12.90'],
      ['南孚', '南孚 7号碱性电池 4粒', 'Nanfu AAA Alkaline Batteries 4 pcs', '12.90'],
      ['公牛', '公牛 插线板 4孔 1.8m', 'Bull Power Strip 4 sockets 1.8 m', '49.90'],
      ['得力', '得力 中性笔 黑色 3支', 'Deli Gel Pens Black 3 pcs', '5.90'],
      ['本店', '一次性纸杯 50只', 'Disposable Paper Cups 50 pcs', '6.90'],
      ['本店', '购物袋 大号', 'Shopping Bag Large', '0.50'],
      ['本店', '购物袋 小号', 'Shopping Bag Small', '0.30'],
    ],
  },
  {
    id: 'personal-care',
    zh: '个人护理',
    items: [
      ['高露洁', '高露洁 全面防蛀牙膏 140g', 'Colgate Cavity Protection Toothpaste 140 g', '9.90'],
      ['高露洁', '高露洁 细毛软牙刷 2支', 'Colgate Slim Soft Toothbrush 2 pcs', '12.90'],
      ['云南白药', '云南白药 牙膏 留兰香型 180g', 'Yunnan Baiyao Toothpaste Spearmint 180 g', '32.90'],
      ['佳洁士', '佳洁士 3D炫白牙膏 120g', 'Crest 3D White Toothpaste 120 g', '19.90'],
      ['黑人', '黑人 双重薄荷牙膏 225g', 'Darlie Double Action Toothpaste 225 g', '16.90'],
      ['舒适达', '舒适达 抗敏感牙膏 100g', 'Sensodyne Sensitivity Toothpaste 100 g', '39.90'],
      ['海飞丝', '海飞丝 去屑洗发水 400ml', 'Head & Shoulders Anti-Dandruff Shampoo 400 ml', '49.90'],
      ['潘婷', '潘婷 乳液修护洗发露 400ml', 'Pantene Repair & Care Shampoo 400 ml', '45.90'],
      ['清扬', '清扬 男士去屑洗发露 400ml', 'Clear Men Anti-Dandruff Shampoo 400 ml', '49.90'],
      ['飘柔', '飘柔 家庭护理洗发露 400ml', 'Rejoice Family Care Shampoo 400 ml', '32.90'],
      ['力士', '力士 沐浴露 幽莲魅肤 1L', 'Lux Body Wash Soft Lotus 1 L', '35.90'],
      ['六神', '六神 沐浴露 清凉薄荷 750ml', 'Liushen Shower Gel Cooling Mint 750 ml', '29.90'],
      ['六神', '六神 花露水 195ml', 'Liushen Floral Water 195 ml', '12.90'],
      ['舒肤佳', '舒肤佳 纯白清香型香皂 3块', 'Safeguard Pure White Soap 3 bars', '12.90'],
      ['舒肤佳', '舒肤佳 抑菌洗手液 420ml', 'Safeguard Antibacterial Hand Wash 420 ml', '19.90'],
      ['大宝', '大宝 SOD蜜 200ml', 'Dabao SOD Moisturising Lotion 200 ml', '15.90'],
      ['百雀羚', '百雀羚 草本保湿霜 50g', 'Pechoin Herbal Moisturising Cream 50 g', '25.90'],
      ['妮维雅', '妮维雅 男士控油洁面乳 100g', 'Nivea Men Oil Control Face Wash 100 g', '35.90'],
      ['曼秀雷敦', '曼秀雷敦 润唇膏 3.5g', 'Mentholatum Lip Balm 3.5 g', '19.90'],
      ['吉列', '吉列 锋速3 剃须刀', 'Gillette Mach3 Razor', '49.90'],
      ['苏菲', '苏菲 日用卫生巾 10片', 'Sofy Day Sanitary Pads 10 pcs', '15.90'],
      ['护舒宝', '护舒宝 日用卫生巾 10片', 'Whisper Day Sanitary Pads 10 pcs', '14.90'],
      ['帮宝适', '帮宝适 纸尿裤 M码 50片', 'Pampers Diapers Size M 50 pcs', '129.00'],
      ['好奇', '好奇 纸尿裤 L码 42片', 'Huggies Diapers Size L 42 pcs', '119.00'],
      ['强生', '强生 婴儿润肤露 200ml', "Johnson's Baby Lotion 200 ml", '29.90'],
      ['维达', '维达 湿巾 80片', 'Vinda Wet Wipes 80 pcs', '12.90'],
      ['邦迪', '邦迪 创可贴 20片', 'Band-Aid Adhesive Bandages 20 pcs', '12.90'],
      ['稳健', '稳健 一次性医用口罩 10只', 'Winner Disposable Medical Masks 10 pcs', '9.90'],
    ],
  },
  {
    id: 'produce',
    zh: '果蔬蛋',
    items: [
      // weighed, price per kg; barcode = 5-digit item reference (PLU), see README
      ['PLU', '富士苹果', 'Fuji Apples', '12.80', 'w'],
      ['PLU', '香蕉', 'Bananas', '6.98', 'w'],
      ['PLU', '砂糖橘', 'Shatang Mandarins', '9.98', 'w'],
      ['PLU', '赣南脐橙', 'Gannan Navel Oranges', '11.80', 'w'],
      ['PLU', '库尔勒香梨', 'Korla Fragrant Pears', '13.80', 'w'],
      ['PLU', '巨峰葡萄', 'Kyoho Grapes', '15.80', 'w'],
      ['PLU', '麒麟西瓜', 'Kirin Watermelon', '3.98', 'w'],
      ['PLU', '哈密瓜', 'Hami Melon', '7.98', 'w'],
      ['PLU', '徐香猕猴桃', 'Xuxiang Kiwifruit', '19.80', 'w'],
      ['PLU', '台农芒果', 'Tainong Mangoes', '12.80', 'w'],
      ['PLU', '西红柿', 'Tomatoes', '7.98', 'w'],
      ['PLU', '黄瓜', 'Cucumbers', '5.98', 'w'],
      ['PLU', '土豆', 'Potatoes', '3.98', 'w'],
      ['PLU', '胡萝卜', 'Carrots', '3.58', 'w'],
      ['PLU', '大白菜', 'Napa Cabbage', '2.38', 'w'],
      ['PLU', '西兰花', 'Broccoli', '11.80', 'w'],
      ['PLU', '青椒', 'Green Peppers', '6.98', 'w'],
      ['PLU', '洋葱', 'Onions', '3.98', 'w'],
      ['PLU', '生姜', 'Ginger', '13.80', 'w'],
      ['PLU', '大蒜', 'Garlic', '11.80', 'w'],
      // packaged, counted
      ['佳沛', '佳沛 阳光金果 奇异果 6个装', 'Zespri SunGold Kiwifruit 6 pcs', '39.90', 'r'],
      ['本店果蔬', '蓝莓 125g 盒装', 'Blueberries 125 g punnet', '19.90', 'r'],
      ['本店果蔬', '圣女果 500g 盒装', 'Cherry Tomatoes 500 g punnet', '12.90', 'r'],
      ['本店果蔬', '生菜 300g 袋装', 'Lettuce 300 g bag', '5.90', 'r'],
      ['本店果蔬', '金针菇 200g', 'Enoki Mushrooms 200 g', '2.90', 'r'],
      ['本店果蔬', '香菇 250g 盒装', 'Shiitake Mushrooms 250 g punnet', '7.90', 'r'],
      ['正大', '正大 鲜鸡蛋 10枚', 'CP Fresh Eggs 10 pcs', '14.90', 'r'],
      ['德青源', '德青源 鲜鸡蛋 15枚', 'DQY Fresh Eggs 15 pcs', '26.90', 'r'],
    ],
  },
  {
    id: 'meat',
    zh: '肉禽水产 速冻',
    items: [
      ['PLU', '猪五花肉', 'Pork Belly', '32.80', 'w'],
      ['PLU', '猪里脊', 'Pork Tenderloin', '36.80', 'w'],
      ['PLU', '猪肋排', 'Pork Spare Ribs', '49.80', 'w'],
      ['PLU', '猪肉馅', 'Minced Pork', '29.80', 'w'],
      ['PLU', '牛腩', 'Beef Brisket', '79.80', 'w'],
      ['PLU', '鸡胸肉', 'Chicken Breast', '19.80', 'w'],
      ['PLU', '鸡翅中', 'Chicken Mid-Wings', '49.80', 'w'],
      ['PLU', '鲜活鲈鱼', 'Live Sea Bass', '39.80', 'w'],
      ['双汇', '双汇 王中王 火腿肠 40g×10', 'Shuanghui Wangzhongwang Ham Sausage 10×40 g', '15.90'],
      ['雨润', '雨润 烟熏培根 150g', 'Yurun Smoked Bacon 150 g', '16.90'],
      ['科尔沁', '科尔沁 手撕风干牛肉 100g', 'Kerchin Air-Dried Beef Jerky 100 g', '29.90'],
      ['湾仔码头', '湾仔码头 猪肉白菜水饺 720g', 'Wanchai Ferry Pork & Cabbage Dumplings 720 g', '32.90'],
      ['三全', '三全 灌汤水饺 猪肉玉米 1kg', 'Sanquan Soup Dumplings Pork & Corn 1 kg', '22.90'],
      ['思念', '思念 黑芝麻汤圆 400g', 'Synear Black Sesame Tangyuan 400 g', '9.90'],
      ['安井', '安井 鱼丸 400g', 'Anjoy Fish Balls 400 g', '16.90'],
      ['正大', '正大 鸡肉蒸饺 600g', 'CP Chicken Steamed Dumplings 600 g', '16.90'],
    ],
  },
  {
    id: 'alcohol',
    zh: '啤酒 葡萄酒 白酒',
    items: [
      ['青岛啤酒', '青岛啤酒 经典 330ml 罐装', 'Tsingtao Beer Classic 330 ml can', '4.00', '2'],
      ['青岛啤酒', '青岛啤酒 经典 500ml 罐装', 'Tsingtao Beer Classic 500 ml can', '6.00'],
      ['青岛啤酒', '青岛啤酒 纯生 500ml 罐装', 'Tsingtao Pure Draft 500 ml can', '7.00'],
      ['青岛啤酒', '青岛啤酒 经典 330ml×24 整箱', 'Tsingtao Beer Classic 24×330 ml case', '89.00'],
      ['雪花', '雪花 勇闯天涯 500ml 罐装', 'Snow Brave the World 500 ml can', '4.50'],
      ['雪花', '雪花 纯生 500ml 罐装', 'Snow Draft 500 ml can', '5.50'],
      ['百威', '百威 啤酒 500ml 罐装', 'Budweiser 500 ml can', '6.50'],
      ['哈尔滨', '哈尔滨 冰纯 500ml 罐装', 'Harbin Ice 500 ml can', '4.50'],
      ['燕京', '燕京 U8 500ml 罐装', 'Yanjing U8 500 ml can', '5.50'],
      ['珠江', '珠江 纯生 500ml 罐装', 'Zhujiang Pure Draft 500 ml can', '5.50'],
      ['1664', '1664 白啤酒 330ml 瓶装', 'Kronenbourg 1664 Blanc 330 ml bottle', '9.90'],
      ['科罗娜', '科罗娜 特级啤酒 330ml 瓶装', 'Corona Extra 330 ml bottle', '9.90'],
      ['福佳', '福佳白 啤酒 330ml 瓶装', 'Hoegaarden White 330 ml bottle', '10.90'],
      ['锐澳', 'RIO 微醺 鸡尾酒 荔枝味 330ml', 'RIO Micro-Tipsy Cocktail Lychee 330 ml', '7.50'],
      ['五粮液', '五粮液 第八代 52度 500ml', 'Wuliangye 8th Generation 52% 500 ml', '1099.00'],
      ['茅台', '贵州茅台酒 飞天 53度 500ml', 'Kweichow Moutai Feitian 53% 500 ml', '1499.00'],
      ['泸州老窖', '泸州老窖 特曲 52度 500ml', 'Luzhou Laojiao Tequ 52% 500 ml', '369.00'],
      ['洋河', '洋河 海之蓝 52度 480ml', 'Yanghe Haizhilan 52% 480 ml', '149.00'],
      ['剑南春', '剑南春 水晶剑 52度 500ml', 'Jiannanchun Crystal 52% 500 ml', '459.00'],
      ['汾酒', '汾酒 青花20 53度 500ml', 'Fenjiu Qinghua 20 53% 500 ml', '429.00'],
      ['牛栏山', '牛栏山 二锅头 56度 500ml', 'Niulanshan Erguotou 56% 500 ml', '19.90'],
      ['红星', '红星 二锅头 56度 500ml', 'Red Star Erguotou 56% 500 ml', '15.90'],
      ['江小白', '江小白 表达瓶 40度 100ml', 'Jiangxiaobai Expression Bottle 40% 100 ml', '22.00'],
      ['张裕', '张裕 解百纳 干红葡萄酒 750ml', 'Changyu Cabernet Dry Red Wine 750 ml', '98.00'],
      ['长城', '长城 赤霞珠干红葡萄酒 750ml', 'Great Wall Cabernet Sauvignon Dry Red 750 ml', '69.00'],
      ['奔富', '奔富 蔻兰山 设拉子赤霞珠 750ml', 'Penfolds Koonunga Hill Shiraz Cabernet 750 ml', '129.00'],
      ['古越龙山', '古越龙山 五年陈 绍兴黄酒 500ml', 'Guyuelongshan 5-Year Shaoxing Rice Wine 500 ml', '29.90'],
      ['梅见', '梅见 青梅酒 12度 330ml', 'Meijian Green Plum Wine 12% 330 ml', '45.00'],
    ],
  },
];

/** Category ids whose every item is alcohol (ageLimit 18). Cooking wine (料酒) in pantry is not. */
const AGE_RESTRICTED = new Set(['alcohol']);

/** PLU blocks for weighed goods: fruit 10001…, vegetables 20001…, meat & fish 30001…. */
function pluFor(categoryId, zh, counters) {
  const veg = new Set(['西红柿', '黄瓜', '土豆', '胡萝卜', '大白菜', '西兰花', '青椒', '洋葱', '生姜', '大蒜']);
  const block = categoryId === 'meat' ? 'meat' : veg.has(zh) ? 'veg' : 'fruit';
  const base = { fruit: 10000, veg: 20000, meat: 30000 }[block];
  counters[block] = (counters[block] || 0) + 1;
  return String(base + counters[block]);
}

// ----------------------------------------------------------------------------------------------------- build

function buildItems() {
  const items = [];
  const pluCounters = {};
  CATEGORIES.forEach((cat, ci) => {
    if (cat.items.length > 99) throw new Error(`category ${cat.id} has more than 99 items`);
    cat.items.forEach(([brand, zh, en, price, flags = ''], ii) => {
      const weighed = flags.includes('w');
      const barcodes = weighed ? [pluFor(cat.id, zh, pluCounters)] : [syntheticEan(brand)];
      if (flags.includes('2')) barcodes.push(syntheticEan(brand));
      items.push({
        sku: `SKU-${String((ci + 1) * 100 + ii + 1).padStart(6, '0')}`,
        barcodes,
        names: { 'zh-CN': zh, en },
        unitPrice: fen(price),
        taxClass: weighed || flags.includes('r') ? 'reduced' : 'standard',
        ageLimit: AGE_RESTRICTED.has(cat.id) ? 18 : null,
        soldByWeight: weighed,
      });
    });
  });
  // sanity: unique SKUs and barcodes
  const seen = new Set();
  for (const it of items) {
    for (const key of [it.sku, ...it.barcodes]) {
      if (seen.has(key)) throw new Error(`duplicate key ${key}`);
      seen.add(key);
    }
  }
  return items;
}

/** SKUs whose English name matches `re` (and, optionally, a filter on the item). */
function skusWhere(items, re, filter) {
  const out = items.filter((it) => re.test(it.names.en) && (!filter || filter(it))).map((it) => it.sku);
  if (out.length === 0) throw new Error(`no SKUs match ${re}`);
  return out;
}

function buildPromotions(items) {
  const counted = (it) => !it.soldByWeight;
  const bySku = new Map(items.map((it) => [it.sku, it]));
  const promos = [
    {
      id: 'P-LAYS-20OFF',
      kind: 'percent_off',
      label: { 'zh-CN': '乐事薯片 全场8折', en: "Lay's chips 20% off" },
      skus: skusWhere(items, /^Lay's /),
      percent: 20,
    },
    {
      id: 'P-LAYS-2FOR10',
      kind: 'x_for_price',
      label: { 'zh-CN': '乐事薯片70g 任选2袋¥10', en: "Lay's chips 70 g: any 2 for ¥10" },
      skus: skusWhere(items, /^Lay's Potato Chips .* 70 g$/),
      quantity: 2,
      price: fen('10.00'),
    },
    {
      id: 'P-COKE-1OFF',
      kind: 'amount_off',
      label: { 'zh-CN': '可口可乐系列大瓶 每瓶立减¥1', en: 'Coca-Cola family large bottles ¥1 off each' },
      skus: skusWhere(items, /^(Coca-Cola|Sprite) (1\.25|2) L$/),
      amount: fen('1.00'),
    },
    {
      id: 'P-WATER-3FOR5',
      kind: 'x_for_price',
      label: { 'zh-CN': '农夫山泉550ml 3瓶¥5', en: 'Nongfu Spring 550 ml: 3 for ¥5' },
      skus: skusWhere(items, /^Nongfu Spring Natural Water 550 ml$/),
      quantity: 3,
      price: fen('5.00'),
    },
    {
      id: 'P-YOGHURT-3FOR2',
      kind: 'buy_x_pay_y',
      label: { 'zh-CN': '单杯酸奶 买三付二(可混搭)', en: 'Single yoghurts: buy 3, pay 2 (mix & match)' },
      skus: skusWhere(items, /Yoghurt/, (it) => !/×/.test(it.names.en) && counted(it)),
      buy: 3,
      pay: 2,
    },
    {
      id: 'P-YILI-MEMBER-10OFF',
      kind: 'percent_off',
      label: { 'zh-CN': '会员专享 伊利乳品9折', en: 'Members: Yili dairy 10% off' },
      skus: skusWhere(items, /^(Yili|Ambrosial|Qiaolezi) /),
      percent: 10,
      memberOnly: true,
    },
    {
      id: 'P-NOODLE-BOWL-2FOR10',
      kind: 'x_for_price',
      label: { 'zh-CN': '桶装方便面 任选2桶¥10', en: 'Instant noodle bowls: any 2 for ¥10' },
      skus: skusWhere(items, /Noodles Bowl|Laiyitong/, (it) => it.unitPrice <= fen('6.00')),
      quantity: 2,
      price: fen('10.00'),
    },
    {
      id: 'P-MENGNIU-MILK-MEMBER',
      kind: 'member_price',
      label: { 'zh-CN': '蒙牛纯牛奶 会员价', en: 'Mengniu Pure Milk member price' },
      skus: skusWhere(items, /^Mengniu Pure Milk 16×250 ml$/),
      price: fen('45.90'),
      memberOnly: true,
    },
    {
      id: 'P-TSINGTAO-4FOR3',
      kind: 'buy_x_pay_y',
      label: { 'zh-CN': '青岛啤酒罐装 买四付三', en: 'Tsingtao cans: buy 4, pay 3' },
      skus: skusWhere(items, /^Tsingtao .* can$/),
      buy: 4,
      pay: 3,
    },
    {
      id: 'P-TSINGTAO-330-MEMBER',
      kind: 'member_price',
      label: { 'zh-CN': '青岛啤酒经典330ml 会员价¥3.5', en: 'Tsingtao Classic 330 ml member price ¥3.50' },
      skus: skusWhere(items, /^Tsingtao Beer Classic 330 ml can$/),
      price: fen('3.50'),
      memberOnly: true,
    },
    {
      id: 'P-PORK-2OFF-KG',
      kind: 'amount_off',
      label: { 'zh-CN': '鲜猪肉 每斤立减¥1', en: 'Fresh pork ¥1 off per 500 g' },
      skus: skusWhere(items, /^(Pork|Minced Pork)/, (it) => it.soldByWeight),
      amount: fen('2.00'), // per kg
    },
    {
      id: 'P-APPLE-MEMBER-15OFF',
      kind: 'percent_off',
      label: { 'zh-CN': '会员专享 富士苹果85折', en: 'Members: Fuji apples 15% off' },
      skus: skusWhere(items, /^Fuji Apples$/),
      percent: 15,
      memberOnly: true,
    },
    {
      id: 'P-LAUNDRY-CNY2027',
      kind: 'percent_off',
      label: { 'zh-CN': '春节大扫除 洗衣用品87.5折', en: 'Spring Festival clean-up: laundry 12.5% off' },
      skus: skusWhere(items, /Laundry|Washing Powder|Fabric Conditioner/),
      percent: 12.5,
      validFrom: '2027-01-20T00:00:00+08:00',
      validTo: '2027-02-28T23:59:59+08:00',
    },
  ];
  // sanity: references, counted-only kinds, ids
  const ids = new Set();
  for (const p of promos) {
    if (ids.has(p.id)) throw new Error(`duplicate promotion id ${p.id}`);
    ids.add(p.id);
    for (const sku of p.skus) {
      const it = bySku.get(sku);
      if (!it) throw new Error(`${p.id}: unknown SKU ${sku}`);
      if ((p.kind === 'buy_x_pay_y' || p.kind === 'x_for_price') && it.soldByWeight) {
        throw new Error(`${p.id}: ${p.kind} applies to counted items only, ${sku} is weighed`);
      }
    }
  }
  return promos;
}

function main() {
  const items = buildItems();
  const promotions = buildPromotions(items);
  const outputs = {
    'pricebook.json': JSON.stringify({ version: VERSION, currency: CURRENCY, items }, null, 2) + '\n',
    'promotions.json': JSON.stringify(promotions, null, 2) + '\n',
  };
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [name, text] of Object.entries(outputs)) {
    const file = path.join(__dirname, name);
    if (check) {
      const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
      if (current !== text) {
        console.error(`${name} is out of date; run: node config/starter/generate.js`);
        stale = true;
      }
    } else {
      fs.writeFileSync(file, text);
    }
  }
  if (stale) process.exit(1);
  const weighed = items.filter((it) => it.soldByWeight).length;
  const aged = items.filter((it) => it.ageLimit !== null).length;
  console.log(`${check ? 'checked' : 'wrote'} ${items.length} items (${weighed} weighed, ${aged} age-restricted), ${promotions.length} promotions`);
}

if (require.main === module) main();

module.exports = { ean13CheckDigit, buildItems, buildPromotions };
